import SAETrackCore
import SAETrackSAE

/// BatchTopK's global selection (the `total` = k·B largest positive pre-activations of the whole
/// batch) over latents that live on different ranks.
///
/// Each rank encodes its shard with the single-process selection (`BatchTopKSelection`) at
/// min(k·B, B·shard) and so holds its shard's top candidates in the order (value ↓, (row, feature) ↑);
/// the global top `total` is contained in the union of the shards' lists (an entry preceded by
/// fewer than `total` entries overall is preceded by fewer than `total` in its own shard). The ranks
/// all-gather those lists — `total` slots of 12 bytes (value bits, row, global latent id; id −1 marks
/// an empty slot) per rank, so each rank sends (n − 1)·k·B·12 bytes per step — and every rank
/// applies the same ``BatchTopKCut`` (the single-process cut and tie rule) to the same union, then
/// keeps the entries of its own shard that the cut keeps.
enum ShardedBatchTopK {
    /// The shard's entries of the global selection, and the smallest selected value over all ranks
    /// (nil when nothing is selected), which BatchTopK's running threshold follows.
    struct Selection {
        var codes: SparseRows
        var smallestSelected: Float?
    }

    /// Filters `local` (the shard's candidates, local latent ids, at most `total`) to the global top `total`.
    static func select(_ local: SparseRows, total: Int, shard: LatentShard, comm: MPICommunicator,
                       kind: MPITrafficKind) throws -> Selection {
        precondition(local.nnz <= total, "ShardedBatchTopK: more than total candidates on a shard")
        let b = local.rows
        var packed = [UInt32](repeating: 0, count: total * 3)
        var slot = 0
        for r in 0..<b {
            for e in local.rowStart[r]..<local.rowStart[r + 1] {
                packed[slot * 3] = local.value[e].bitPattern
                packed[slot * 3 + 1] = UInt32(r)
                packed[slot * 3 + 2] = UInt32(bitPattern: Int32(shard.start) + local.index[e])
                slot += 1
            }
        }
        while slot < total { packed[slot * 3 + 2] = UInt32(bitPattern: -1); slot += 1 }
        let all = try packed.withUnsafeBytes { try comm.allgather($0, kind: kind) }
        var value: [Float] = [], row: [Int32] = [], feature: [Int32] = []
        value.reserveCapacity(comm.size * total); row.reserveCapacity(comm.size * total); feature.reserveCapacity(comm.size * total)
        all.withUnsafeBytes { raw in
            let words = raw.bindMemory(to: UInt32.self)
            for s in 0..<(comm.size * total) {
                let id = Int32(bitPattern: words[s * 3 + 2])
                guard id >= 0 else { continue }
                value.append(Float(bitPattern: words[s * 3])); row.append(Int32(bitPattern: words[s * 3 + 1])); feature.append(id)
            }
        }
        let cut = BatchTopKCut(value: value, row: row, feature: feature, total: total)
        // Every entry is kept without a cut; with one, τ itself is kept (it is the total-th largest).
        let smallest = cut.map { $0.value } ?? value.min()
        guard let cut else { return Selection(codes: local, smallestSelected: smallest) }
        var rowStart = [Int](repeating: 0, count: b + 1)
        var index: [Int32] = [], kept: [Float] = []
        for r in 0..<b {
            for e in local.rowStart[r]..<local.rowStart[r + 1]
            where cut.keeps(local.value[e], row: Int32(r), feature: Int32(shard.start) + local.index[e]) {
                index.append(local.index[e]); kept.append(local.value[e])
            }
            rowStart[r + 1] = index.count
        }
        return Selection(codes: SparseRows(rows: b, cols: local.cols, rowStart: rowStart, index: index, value: kept),
                         smallestSelected: smallest)
    }
}
