import CSupport
import SAETrackCore

/// Weight gradients of a sparse-code layer pair, feature-major (one pass over the active features).
///
/// With codes a (B, d_sae) stored sparsely, an upstream gradient Y = ∂L/∂x̂ (B, d_in) and the
/// encoder input sae_in (B, d_in), for every stored entry (b, i):
/// ```
/// dpre[b,i]   = Y[b]·W_dec[i] + c[i]          sampled dense-dense product (+ per-feature constant, e.g. L1)
/// dW_dec[i]  += a[b,i] · Y[b]                 (d_sae, d_in)  = aᵀ·Y restricted to active entries
/// dW_encᵀ[i] += dpre[b,i] · sae_in[b]         (d_sae, d_in)  = (sae_inᵀ·dpre)ᵀ, dpre sparse too
/// db_enc[i]  += dpre[b,i]
/// ```
/// With `upstreamGroupEnds` (Matryoshka), Y differs per feature group: `upstream` stacks G blocks of
/// (B, d_in) and feature i reads block g, the first with i < ends[g].
///
/// Features are split across threads; each feature's rows are reduced in increasing batch order, so
/// results do not depend on the thread count. Features with no entry get zero rows (`overwrite`) or
/// are left untouched (accumulate).
package enum SparseBackward {
    /// - Parameters:
    ///   - codes: (B, d_sae) the entries a[b,i]; only its structure and values are read
    ///   - columns: `codes.columns()`
    ///   - upstream: (B, d_in) Y, or (G·B, d_in) with `upstreamGroupEnds` of G increasing feature bounds
    ///   - saeIn: (B, d_in)
    ///   - wDec: (d_sae, d_in)
    ///   - featureConstant: (d_sae) c, or nil for zeros
    ///   - overwrite: zero every gradient row first (else accumulate)
    ///   - dPre: (nnz) written with dpre in CSR entry order, if given
    package static func accumulate(
        codes: SparseRows, columns: SparseColumns, upstream: Matrix, saeIn: Matrix, wDec: Matrix,
        featureConstant: [Float]?, gradWDec: inout Matrix, gradWEncT: inout Matrix, gradBEnc: inout [Float],
        overwrite: Bool, dPre: UnsafeMutablePointer<Float>? = nil, upstreamGroupEnds: [Int]? = nil
    ) {
        accumulate(codes: codes, columns: columns, upstream: upstream, saeIn: saeIn, wDec: wDec,
                   featureConstant: featureConstant, gradWDec: &gradWDec, gradWEncT: &gradWEncT, gradBEnc: &gradBEnc,
                   overwrite: overwrite, dPre: dPre, upstreamGroupEnds: upstreamGroupEnds, avx: hasAVX)
    }

    /// Whether the CPU runs the 8-lane AVX feature kernel (`saetrack_sparse_backward_feature`).
    static let hasAVX = saetrack_has_avx() != 0

    /// The same, choosing the per-feature kernel: AVX in C (`avx`) or the Swift loop; both do the
    /// same float operations in the same order.
    static func accumulate(
        codes: SparseRows, columns: SparseColumns, upstream: Matrix, saeIn: Matrix, wDec: Matrix,
        featureConstant: [Float]?, gradWDec: inout Matrix, gradWEncT: inout Matrix, gradBEnc: inout [Float],
        overwrite: Bool, dPre: UnsafeMutablePointer<Float>?, upstreamGroupEnds: [Int]?, avx: Bool
    ) {
        let (d, m) = (wDec.cols, wDec.rows)
        let ends = upstreamGroupEnds ?? [m]
        precondition(ends.last == m && upstream.rows == codes.rows * ends.count, "SparseBackward: upstream groups do not match")
        precondition(upstream.cols == d && saeIn.cols == d && saeIn.rows == codes.rows,
                     "SparseBackward: shapes do not match")
        let blockSize = codes.rows * d
        precondition(gradWDec.rows == m && gradWEncT.rows == m && gradBEnc.count == m, "SparseBackward: gradient shapes")
        let constants = featureConstant ?? [Float](repeating: 0, count: m)
        upstream.withUnsafeBufferPointer { yb in saeIn.withUnsafeBufferPointer { xb in wDec.withUnsafeBufferPointer { wb in
        codes.value.withUnsafeBufferPointer { val in constants.withUnsafeBufferPointer { cb in
        columns.colStart.withUnsafeBufferPointer { cs in columns.row.withUnsafeBufferPointer { rowOf in
        columns.entry.withUnsafeBufferPointer { entryOf in
        gradWDec.withUnsafeMutableBufferPointer { gd in gradWEncT.withUnsafeMutableBufferPointer { ge in
        gradBEnc.withUnsafeMutableBufferPointer { gbe in
            let (y, x, w, gdb, geb) = (yb.baseAddress!, xb.baseAddress!, wb.baseAddress!, gd.baseAddress!, ge.baseAddress!)
            Parallel.forEachChunk(m, minChunk: 64) { range in
                // overwrite: each feature's two rows are summed in an L1-resident scratch and
                // streamed out with non-temporal stores, so 2·d_sae·d_in gradient floats do not
                // evict the (B, d_in) Y and sae_in rows every feature gathers from the cache.
                let scratch = overwrite ? UnsafeMutablePointer<Float>.allocate(capacity: 2 * d) : nil
                defer { scratch?.deallocate() }
                var group = ends.firstIndex { range.lowerBound < $0 } ?? 0
                for i in range {
                    while i >= ends[group] { group += 1 }
                    let yGroup = y + group * blockSize
                    let wi = w + i * d
                    var gDec = gdb + i * d, gEnc = geb + i * d
                    if let scratch {
                        gDec = scratch; gEnc = scratch + d
                        scratch.update(repeating: 0, count: 2 * d); gbe[i] = 0
                    }
                    var bias: Float = 0
                    var k = cs[i]
                    let end = cs[i + 1]
                    if avx && k < end {
                        bias = saetrack_sparse_backward_feature(yGroup, x, wi, d, rowOf.baseAddress! + k, entryOf.baseAddress! + k,
                                                                val.baseAddress!, end - k, cb[i], gDec, gEnc, dPre)
                        k = end
                    }
                    // Four entries at a time: W_dec[i] read once per two dot products, and each
                    // gradient row loaded and stored once per four rows; the same operations in the
                    // same order as one entry at a time (below), so the same bits.
                    while k + 4 <= end {
                        let (ra, rb, rc, rd) = (Int(rowOf[k]), Int(rowOf[k + 1]), Int(rowOf[k + 2]), Int(rowOf[k + 3]))
                        let (ea, eb, ec, ed) = (Int(entryOf[k]), Int(entryOf[k + 1]), Int(entryOf[k + 2]), Int(entryOf[k + 3]))
                        let (ya, yb, yc, yd) = (yGroup + ra * d, yGroup + rb * d, yGroup + rc * d, yGroup + rd * d)
                        let (pa, pb) = SIMDMath.dot2(ya, yb, wi, d)
                        let (pc, pd) = SIMDMath.dot2(yc, yd, wi, d)
                        let (fa, fb, fc, fd) = (pa + cb[i], pb + cb[i], pc + cb[i], pd + cb[i])
                        SIMDMath.axpy4(val[ea], ya, val[eb], yb, val[ec], yc, val[ed], yd, gDec, d)
                        SIMDMath.axpy4(fa, x + ra * d, fb, x + rb * d, fc, x + rc * d, fd, x + rd * d, gEnc, d)
                        bias += fa; bias += fb; bias += fc; bias += fd
                        if let dp = dPre { dp[ea] = fa; dp[eb] = fb; dp[ec] = fc; dp[ed] = fd }
                        k += 4
                    }
                    for k in k..<end {
                        let r = Int(rowOf[k]), e = Int(entryOf[k])
                        let yr = yGroup + r * d
                        let df = SIMDMath.dot(yr, wi, d) + cb[i]
                        SIMDMath.axpy(val[e], yr, gDec, d)
                        SIMDMath.axpy(df, x + r * d, gEnc, d)
                        bias += df
                        dPre?[e] = df
                    }
                    gbe[i] += bias
                    if scratch != nil {
                        saetrack_stream_copy(gdb + i * d, gDec, d)
                        saetrack_stream_copy(geb + i * d, gEnc, d)
                    }
                }
            }
        } } } } } } } } } } }
    }
}
