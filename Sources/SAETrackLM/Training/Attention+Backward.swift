import CSupport
import SAETrackCore

extension Attention {
    /// Backward of ``causalForward(qkv:att:out:rows:context:heads:headDim:layout:scale:)`` (llm.c's
    /// `attention_backward`), with BLAS for every per-(sequence, head) matmul.
    ///
    ///     dP  = dY · vᵀ            dv = Pᵀ · dY                      (per (b, h), T × T and T × hd)
    ///     dS  = scale · P ⊙ (dP − rowsum(dP ⊙ P))                    Core's Softmax.backward
    ///     dq  = dS · k             dk = dSᵀ · q
    ///
    /// Row-parallel over (sequence, head) pairs in one parallel region. Where the CPU runs AVX2 +
    /// FMA, each pair is one call of CSupport's `saetrack_attention_backward`; elsewhere one-thread
    /// GEMMs and the softmax backward (a GEMM in a ``Parallel`` loop is never split). Either way
    /// every product skips the masked triangle (P = 0 above the diagonal), about halving the work:
    /// the GEMMs in blocks of ``queryBlock`` rows, the C kernel in 4-row blocks.
    /// The q and k gradients are those of the *rotated* q and k; rotate them back with
    /// ``Rotary/rotate(_:rows:context:heads:headDim:layout:direction:)`` and `.inverse`.
    /// - Parameters:
    ///   - dOut: (B*T, C) gradient of the concatenated head outputs.
    ///   - qkv: (B*T, 3C) and att: (B*H*T, T) from the forward.
    ///   - dAtt: (B*H*T, T) scratch, overwritten.
    ///   - dqkv: (B*T, 3C) written: gradient of the fused (rotated) projections.
    static func causalBackward(
        dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>, att: UnsafePointer<Float>,
        dAtt: UnsafeMutablePointer<Float>, dqkv: UnsafeMutablePointer<Float>,
        rows: Int, context: Int, heads: Int, headDim: Int, layout: QKVLayout, scale: Float
    ) {
        let (T, C, hd) = (context, heads * headDim, headDim)
        let ld = 3 * C
        // One parallel region: each (sequence, head) pair's two GEMM phases and its softmax
        // backward run back to back on one core, the (T, T) tiles still in its cache.
        Parallel.forEachChunk(rows * heads) { pairs in
            for bh in pairs {
                let (b, h) = (bh / heads, bh % heads)
                let o = layout.offsets(head: h, headDim: hd, dModel: C)
                let seq = qkv + b * T * ld, dSeq = dqkv + b * T * ld        // (T, 3C)
                let dY = dOut + b * T * C + h * hd                          // (T, hd), stride C
                let p = att + bh * T * T, dP = dAtt + bh * T * T             // (T, T)
                if saetrack_attention_backward(seq + o.q, seq + o.k, seq + o.v, ld, p, dY, C, T, hd, scale, dP,
                                               dSeq + o.q, dSeq + o.k, dSeq + o.v) != 0 {
                    continue
                }
                for i0 in stride(from: 0, to: T, by: queryBlock) {
                    let i1 = min(T, i0 + queryBlock)
                    // dP[i0..<i1, 0..<i1] = dY[i0..<i1] · v[0..<i1]ᵀ   (later keys are masked: P = 0)
                    BLAS.gemm(.none, .transposed, m: i1 - i0, n: i1, k: hd, a: dY + i0 * C, lda: C,
                              b: seq + o.v, ldb: ld, c: dP + i0 * T, ldc: T)
                    // dv[j0..<j1] = P[j0..<T, j0..<j1]ᵀ · dY[j0..<T]   (earlier queries never see key j)
                    let (j0, j1) = (i0, i1)
                    BLAS.gemm(.transposed, .none, m: j1 - j0, n: hd, k: T - j0, a: p + j0 * T + j0, lda: T,
                              b: dY + j0 * C, ldb: C, c: dSeq + j0 * ld + o.v, ldc: ld)
                }
                // dS = scale · P ⊙ (dP − rowsum(dP ⊙ P)), in place; masked entries (P = 0) get 0.
                Softmax.backward(y: p, dy: dP, dx: dP, rows: T, cols: T, scale: scale)
                let dS = UnsafePointer(dP)
                for i0 in stride(from: 0, to: T, by: queryBlock) {
                    let i1 = min(T, i0 + queryBlock)
                    // dq[i0..<i1] = dS[i0..<i1, 0..<i1] · k[0..<i1]
                    BLAS.gemm(.none, .none, m: i1 - i0, n: hd, k: i1, a: dS + i0 * T, lda: T, b: seq + o.k, ldb: ld,
                              c: dSeq + i0 * ld + o.q, ldc: ld)
                    // dk[j0..<j1] = dS[j0..<T, j0..<j1]ᵀ · q[j0..<T]
                    let (j0, j1) = (i0, i1)
                    BLAS.gemm(.transposed, .none, m: j1 - j0, n: hd, k: T - j0, a: dS + j0 * T + j0, lda: T,
                              b: seq + j0 * ld + o.q, ldb: ld, c: dSeq + j0 * ld + o.k, ldc: ld)
                }
            }
        }
    }
}
