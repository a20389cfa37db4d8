import Foundation
import SAETrackCore

/// Encoder forward: the one dense GEMM of a step, emitted directly as sparse codes.
///
/// ```
/// pre = sae_in · W_enc + b_enc        (rows, d_sae)   one GEMM per chunk of `chunkRows` rows
/// f   = ReLU(pre), TopK_k(pre)→ReLU  or  JumpReLU_θ(pre)  (``SAEActivation``)
///                                                     kept as CSR (SparseRows), never dense
/// ```
/// The dense pre-activations never exist whole: training steps (W_enc stored transposed) run the
/// feature-block pass (FeatureBlockEncoder.swift), whose (rows per thread, 1024) blocks stay in the
/// last-level cache; the row-chunk path (`encodeChunked`) keeps a (chunkRows, d_sae) scratch and serves
/// inference in SAELens orientation and ghost grads. Optional extras read from the same buffers: the
/// pre-activations of dead features (ghost grads, Docs/Method.md §4.3; row-chunk path only), the AuxK
/// selection among dead features (as SAELens selects them) and JumpReLU's straight-through window.
package enum SparseEncoder {
    /// What the encoder returns.
    package struct Output {
        /// (B, d_sae) nonzero activations.
        package var codes: SparseRows
        /// (B, n_dead) pre-activations of the requested dead features, if requested.
        package var deadPre: Matrix?
        /// (B, d_sae) AuxK codes: per row the `auxK` largest pre-activations among dead features
        /// (raw values, not ReLU'd), if requested.
        package var auxCodes: SparseRows?
        /// (B, d_sae) JumpReLU training: the pre-activations inside the straight-through window,
        /// −1/2 < (pre − θ_i)/bandwidth < 1/2 (values are pre), if requested.
        package var thresholdWindow: SparseRows? = nil
    }

    /// Encodes `saeIn` (B, d_in) = x − b_dec with `wEncT` (d_sae, d_in) and `bEnc` (d_sae).
    /// - Parameters:
    ///   - deadFeatures: increasing feature ids for `gatherDeadPre` / `auxK`.
    ///   - gatherDeadPre: also return `pre[:, deadFeatures]`.
    ///   - auxK: if > 0, also return the AuxK codes over `deadFeatures`.
    ///   - batchTopK: if > 0, the codes are BatchTopK's instead of `activation`'s: the `batchTopK`
    ///     (= k·B) largest positive pre-activations of the whole batch (`BatchTopKSelection`).
    ///   - bandwidth: if > 0 with a JumpReLU activation, also return the entries of its
    ///     straight-through window (`Output.thresholdWindow`).
    package static func encode(
        saeIn: Matrix, wEncT: Matrix, bEnc: [Float], activation: SAEActivation, chunkRows: Int = 1024,
        deadFeatures: [Int32] = [], gatherDeadPre: Bool = false, auxK: Int = 0, batchTopK: Int = 0,
        bandwidth: Float = 0, workspace: SAEStepWorkspace? = nil
    ) -> Output {
        precondition(wEncT.cols == saeIn.cols && bEnc.count == wEncT.rows, "SparseEncoder: shapes do not match")
        return encode(saeIn: saeIn, weights: wEncT, transposed: true, bEnc: bEnc, activation: activation,
                      chunkRows: chunkRows, deadFeatures: deadFeatures, gatherDeadPre: gatherDeadPre, auxK: auxK,
                      batchTopK: batchTopK, bandwidth: bandwidth, workspace: workspace)
    }

    /// The same with W_enc in SAELens orientation, (d_in, d_sae) (inference; no transpose needed).
    package static func encode(saeIn: Matrix, wEnc: Matrix, bEnc: [Float], activation: SAEActivation,
                              chunkRows: Int = 1024) -> Output {
        precondition(wEnc.rows == saeIn.cols && bEnc.count == wEnc.cols, "SparseEncoder: shapes do not match")
        return encode(saeIn: saeIn, weights: wEnc, transposed: false, bEnc: bEnc, activation: activation,
                      chunkRows: chunkRows, deadFeatures: [], gatherDeadPre: false, auxK: 0, batchTopK: 0, bandwidth: 0, workspace: nil)
    }

    private static func encode(
        saeIn: Matrix, weights: Matrix, transposed: Bool, bEnc: [Float], activation: SAEActivation, chunkRows: Int,
        deadFeatures: [Int32], gatherDeadPre: Bool, auxK: Int, batchTopK: Int, bandwidth: Float,
        workspace: SAEStepWorkspace?
    ) -> Output {
        if transposed && !gatherDeadPre {
            // Every training step but ghost grads': feature blocks, no (B, d_sae) buffer (FeatureBlockEncoder.swift).
            let selection: BlockSelection
            var theta: [Float] = []
            if batchTopK > 0 {
                selection = .batchTopK(batchTopK)
            } else {
                switch activation {
                case .relu: selection = .gate(nil)
                case .topK(let k): selection = .topK(k)
                case .jumpReLU(let threshold):
                    precondition(threshold.count == bEnc.count, "SparseEncoder: \(threshold.count) thresholds for d_sae \(bEnc.count)")
                    // ReLU(pre)·1[pre > θ] keeps pre exactly when pre > max(θ, 0).
                    selection = .gate(threshold.map { max($0, 0) })
                    if bandwidth > 0 { theta = threshold }
                }
            }
            return encodeInCache(saeIn: saeIn, wEncT: weights, bEnc: bEnc, selection: selection, theta: theta,
                                 bandwidth: bandwidth, deadFeatures: deadFeatures, auxK: auxK, workspace: workspace)
        }
        return encodeChunked(saeIn: saeIn, weights: weights, transposed: transposed, bEnc: bEnc, activation: activation,
                             chunkRows: chunkRows, deadFeatures: deadFeatures, gatherDeadPre: gatherDeadPre, auxK: auxK,
                             batchTopK: batchTopK, bandwidth: bandwidth, workspace: workspace)
    }

    /// The row-chunk encoder: one GEMM per `chunkRows` rows into a (chunkRows, d_sae) scratch, then
    /// the selection over whole rows. Inference with W_enc in SAELens orientation and ghost grads
    /// (which gather dead features' pre-activations) run it; tests compare it with the feature-block path.
    static func encodeChunked(
        saeIn: Matrix, weights: Matrix, transposed: Bool, bEnc: [Float], activation: SAEActivation, chunkRows: Int,
        deadFeatures: [Int32], gatherDeadPre: Bool, auxK: Int, batchTopK: Int, bandwidth: Float,
        workspace: SAEStepWorkspace?
    ) -> Output {
        let (b, d, m) = (saeIn.rows, saeIn.cols, bEnc.count)
        let nDead = deadFeatures.count
        let chunk = max(1, min(chunkRows, b))
        // JumpReLU's gate per feature: ReLU(pre)·1[pre > θ] keeps pre exactly when pre > max(θ, 0).
        var gateStore: [Float] = []
        var thetaStore: [Float] = []
        if case .jumpReLU(let threshold) = activation {
            precondition(threshold.count == m, "SparseEncoder: \(threshold.count) thresholds for d_sae \(m)")
            gateStore = threshold.map { max($0, 0) }
            if bandwidth > 0 { thetaStore = threshold }
        }
        let windowRows = thetaStore.isEmpty ? nil : RowBlocks(rows: b)
        var pre = workspace?.takePre(count: chunk * m) ?? [Float](repeating: 0, count: chunk * m)   // (chunk, d_sae) scratch
        defer { workspace?.returnPre(pre) }
        var deadStore = [Float](repeating: 0, count: gatherDeadPre ? b * nDead : 0)   // (B, n_dead)
        let mainRows = RowBlocks(rows: b)
        let batchSelection = batchTopK > 0 ? BatchTopKSelection(total: batchTopK) : nil
        let auxRows = RowBlocks(rows: b)
        var r0 = 0
        while r0 < b {
            let rows = min(chunk, b - r0)
            saeIn.withUnsafeBufferPointer { x in
                weights.withUnsafeBufferPointer { w in
                    pre.withUnsafeMutableBufferPointer { p in
                        BLAS.gemm(.none, transposed ? .transposed : .none, m: rows, n: m, k: d,
                                  a: x.baseAddress! + r0 * d, lda: d, b: w.baseAddress!, ldb: transposed ? d : m,
                                  c: p.baseAddress!, ldc: m)
                    }
                }
            }
            let base = r0
            thetaStore.withUnsafeBufferPointer { theta in
            gateStore.withUnsafeBufferPointer { gateBuffer in
            let gate: UnsafeBufferPointer<Float>? = gateBuffer.isEmpty ? nil : gateBuffer
            pre.withUnsafeBufferPointer { p in
                bEnc.withUnsafeBufferPointer { be in
                    deadFeatures.withUnsafeBufferPointer { dead in deadStore.withUnsafeMutableBufferPointer { ds in
                        let deadOut: UnsafeMutablePointer<Float>? = gatherDeadPre ? ds.baseAddress : nil
                        let gates = gate.map { UnsafeRawPointer($0.baseAddress!) }
                        Parallel.forEachChunk(rows, minChunk: 16) { range in
                            var idx: [Int32] = [], val: [Float] = [], counts: [Int] = []
                            var aIdx: [Int32] = [], aVal: [Float] = [], aCounts: [Int] = []
                            let topRows = TopKRows(rows: 1, k: activationK(activation), positiveOnly: true)
                            let auxRows1 = TopKRows(rows: 1, k: min(auxK, nDead), positiveOnly: false)
                            var candidates = BatchTopKSelection.Candidates(total: batchTopK)
                            var wIdx: [Int32] = [], wVal: [Float] = [], wCounts: [Int] = []
                            for r in range {
                                let row = p.baseAddress! + r * m
                                let before = idx.count
                                if batchSelection != nil {
                                    for i in 0..<m { candidates.offer(row[i] + be[i], row: Int32(base + r), feature: Int32(i)) }
                                } else {
                                switch activation {
                                case .relu, .jumpReLU:
                                    // f = v where v > gate (0 for ReLU, max(θ_i, 0) for JumpReLU), 16
                                    // lanes at a time: with L0 ≪ d_sae almost every block has no entry.
                                    let rawRow = UnsafeRawPointer(row), rawBias = UnsafeRawPointer(be.baseAddress!)
                                    var i = 0
                                    while i + 16 <= m {
                                        let v = rawRow.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                                            + rawBias.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                                        let g = gates.map { $0.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) } ?? .zero
                                        if any(v .> g) {
                                            for t in 0..<16 where v[t] > g[t] { idx.append(Int32(i + t)); val.append(v[t]) }
                                        }
                                        i += 16
                                    }
                                    while i < m {
                                        let v = row[i] + be[i]
                                        if v > (gates?.load(fromByteOffset: i * 4, as: Float.self) ?? 0) {
                                            idx.append(Int32(i)); val.append(v)
                                        }
                                        i += 1
                                    }
                                case .topK(let k):
                                    precondition(k == topRows.k)
                                    topRows.reset()
                                    topRows.scan(0, pre: row, bias: be.baseAddress!, first: 0, count: m)
                                    topRows.appendSorted(0, to: &idx, &val)
                                }
                                }
                                counts.append(idx.count - before)
                                if windowRows != nil {
                                    // SAELens `rectangle((x − θ)/bandwidth)`: −1/2 < u < 1/2, in the same float ops.
                                    let wBefore = wIdx.count
                                    for i in 0..<m {
                                        let v = row[i] + be[i]
                                        let u = (v - theta[i]) / bandwidth
                                        if u > -0.5 && u < 0.5 { wIdx.append(Int32(i)); wVal.append(v) }
                                    }
                                    wCounts.append(wIdx.count - wBefore)
                                }
                                if let out = deadOut {
                                    let o = out + (base + r) * nDead
                                    for (t, i) in dead.enumerated() { o[t] = row[Int(i)] + be[Int(i)] }
                                }
                                if auxK > 0 {
                                    let aBefore = aIdx.count
                                    auxRows1.reset()
                                    for i in dead { auxRows1.offer(0, row[Int(i)] + be[Int(i)], i) }
                                    auxRows1.appendSorted(0, to: &aIdx, &aVal)
                                    aCounts.append(aIdx.count - aBefore)
                                }
                            }
                            mainRows.store(start: base + range.lowerBound, counts: counts, index: idx, value: val)
                            batchSelection?.store(candidates, first: base + range.lowerBound)
                            windowRows?.store(start: base + range.lowerBound, counts: wCounts, index: wIdx, value: wVal)
                            if auxK > 0 { auxRows.store(start: base + range.lowerBound, counts: aCounts, index: aIdx, value: aVal) }
                        }
                    } }
                }
            }
            }
            }
            r0 += rows
        }
        let deadPre = gatherDeadPre ? Matrix(rows: b, cols: nDead, storage: deadStore) : nil
        let codes = batchSelection?.assemble(rows: b, cols: m) ?? mainRows.assemble(cols: m)
        return Output(codes: codes, deadPre: deadPre, auxCodes: auxK > 0 ? auxRows.assemble(cols: m) : nil,
                      thresholdWindow: windowRows?.assemble(cols: m))
    }

    /// Features per GEMM block of the feature-block encoder: a thread's
    /// (rows/threads, 1024) block of pre-activations (8 MB at 4096 rows on 2 threads) stays in the
    /// last-level cache between the GEMM that writes it and the scan that reads it.
    static let featureBlock = 1024

    /// ReLU codes without a (B, d_sae) pre-activation buffer (``encodeInCache``'s ReLU case).
    static func encodeReLUInCache(saeIn: Matrix, wEncT: Matrix, bEnc: [Float]) -> SparseRows {
        encodeInCache(saeIn: saeIn, wEncT: wEncT, bEnc: bEnc, selection: .gate(nil)).codes
    }

    private static func activationK(_ a: SAEActivation) -> Int {
        if case .topK(let k) = a { return k }
        return 1
    }
}

/// Thread-safe collection of per-row-block CSR pieces, assembled in row order.
final class RowBlocks: @unchecked Sendable {
    private let lock = NSLock()
    private var blocks: [(start: Int, counts: [Int], index: [Int32], value: [Float])] = []
    let rows: Int
    init(rows: Int) { self.rows = rows }

    func store(start: Int, counts: [Int], index: [Int32], value: [Float]) {
        lock.lock(); blocks.append((start, counts, index, value)); lock.unlock()
    }

    func assemble(cols: Int) -> SparseRows {
        blocks.sort { $0.start < $1.start }
        var rowStart = [Int](); rowStart.reserveCapacity(rows + 1); rowStart.append(0)
        let total = blocks.reduce(0) { $0 + $1.index.count }
        var index = [Int32](); index.reserveCapacity(total)
        var value = [Float](); value.reserveCapacity(total)
        for blk in blocks {
            for c in blk.counts { rowStart.append(rowStart.last! + c) }
            index.append(contentsOf: blk.index); value.append(contentsOf: blk.value)
        }
        precondition(rowStart.count == rows + 1, "SparseEncoder: row blocks do not cover the batch")
        return SparseRows(rows: rows, cols: cols, rowStart: rowStart, index: index, value: value)
    }
}
