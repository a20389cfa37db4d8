import SAETrackCore
import SAETrackSAE

/// The global per-token top-k over latents that live on different ranks.
///
/// Each rank encodes its shard with its own top-min(k, shard) per token; the global top-k of a
/// token is contained in the union of the shards' top-k, so the ranks exchange those candidates —
/// k (value, latent id) pairs per token and rank, padded — and every rank ranks the same n·k
/// candidates in the same total order: larger value first, and on equal values the smaller latent
/// id (the single-process heap's rule: an equal later value does not displace an earlier one).
/// A rank keeps the entries of its shard that are among the first k.
enum ShardedTopK {
    /// Filters `local` (the shard's per-token candidates, local latent ids) to the global top-`k` per row.
    static func select(_ local: SparseRows, k: Int, shard: LatentShard, comm: MPICommunicator,
                       kind: MPITrafficKind) throws -> SparseRows {
        let b = local.rows
        guard comm.size > 1 else { return local }
        // (value bits, global id) per slot; id −1 marks an empty slot.
        var packed = [UInt32](repeating: 0, count: b * k * 2)
        for r in 0..<b {
            var slot = 0
            for e in local.rowStart[r]..<local.rowStart[r + 1] {
                precondition(slot < k, "ShardedTopK: more than k candidates in a row")
                packed[(r * k + slot) * 2] = local.value[e].bitPattern
                packed[(r * k + slot) * 2 + 1] = UInt32(bitPattern: Int32(shard.start) + local.index[e])
                slot += 1
            }
            while slot < k { packed[(r * k + slot) * 2 + 1] = UInt32(bitPattern: -1); slot += 1 }
        }
        let all = try packed.withUnsafeBytes { try comm.allgather($0, kind: kind) }
        let n = comm.size
        var rowStart = [Int](repeating: 0, count: b + 1)
        var index: [Int32] = [], value: [Float] = []
        index.reserveCapacity(b * k / n + b); value.reserveCapacity(b * k / n + b)
        all.withUnsafeBytes { raw in
            let words = raw.bindMemory(to: UInt32.self)
            var candidates: [(Float, Int32)] = []
            candidates.reserveCapacity(n * k)
            for r in 0..<b {
                candidates.removeAll(keepingCapacity: true)
                for q in 0..<n {
                    let base = (q * b * k + r * k) * 2
                    for slot in 0..<k {
                        let id = Int32(bitPattern: words[base + slot * 2 + 1])
                        if id >= 0 { candidates.append((Float(bitPattern: words[base + slot * 2]), id)) }
                    }
                }
                // The k-th candidate in the order (value ↓, id ↑) is the last one kept.
                var cut: (Float, Int32)? = nil
                if candidates.count > k {
                    candidates.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
                    cut = candidates[k - 1]
                }
                for e in local.rowStart[r]..<local.rowStart[r + 1] {
                    let (v, id) = (local.value[e], Int32(shard.start) + local.index[e])
                    if let (cv, cid) = cut, !(v > cv || (v == cv && id <= cid)) { continue }
                    index.append(local.index[e]); value.append(v)
                }
                rowStart[r + 1] = index.count
            }
        }
        return SparseRows(rows: b, cols: local.cols, rowStart: rowStart, index: index, value: value)
    }
}
