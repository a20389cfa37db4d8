import SAETrackCore

extension Attention {
    /// Backward of ``causalForward(qkv:att:out:rows:context:heads:headDim:layout:scale:)`` (llm.c's
    /// `attention_backward`), with BLAS for every per-(sequence, head) matmul.
    ///
    ///     dP  = dY · vᵀ            dv = Pᵀ · dY                      (per (b, h), T × T and T × hd)
    ///     dS  = scale · P ⊙ (dP − rowsum(dP ⊙ P))                    Core's Softmax.backward
    ///     dq  = dS · k             dk = dSᵀ · q
    ///
    /// Row-parallel over (sequence, head) pairs with single-threaded BLAS inside (``BLASThreads``).
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
        BLASThreads.singleThreaded {
            Parallel.forEachChunk(rows * heads) { pairs in
                for bh in pairs {
                    let (b, h) = (bh / heads, bh % heads)
                    let o = layout.offsets(head: h, headDim: hd, dModel: C)
                    let seq = qkv + b * T * ld, dSeq = dqkv + b * T * ld        // (T, 3C)
                    let dY = dOut + b * T * C + h * hd                          // (T, hd), stride C
                    // dP (T, T) = dY (T, hd) · vᵀ (hd, T)
                    BLAS.gemm(.none, .transposed, m: T, n: T, k: hd, a: dY, lda: C,
                              b: seq + o.v, ldb: ld, c: dAtt + bh * T * T, ldc: T)
                    // dv (T, hd) = Pᵀ (T, T) · dY (T, hd)
                    BLAS.gemm(.transposed, .none, m: T, n: hd, k: T, a: att + bh * T * T, lda: T,
                              b: dY, ldb: C, c: dSeq + o.v, ldc: ld)
                }
            }
        }
        // dS = scale · P ⊙ (dP − rowsum(dP ⊙ P)), in place; masked entries (P = 0) get 0.
        Softmax.backward(y: att, dy: dAtt, dx: dAtt, rows: rows * heads * T, cols: T, scale: scale)
        BLASThreads.singleThreaded {
            Parallel.forEachChunk(rows * heads) { pairs in
                for bh in pairs {
                    let (b, h) = (bh / heads, bh % heads)
                    let o = layout.offsets(head: h, headDim: hd, dModel: C)
                    let seq = qkv + b * T * ld, dSeq = dqkv + b * T * ld        // (T, 3C)
                    let dS = UnsafePointer(dAtt + bh * T * T)                   // (T, T)
                    // dq (T, hd) = dS (T, T) · k (T, hd)
                    BLAS.gemm(.none, .none, m: T, n: hd, k: T, a: dS, lda: T, b: seq + o.k, ldb: ld,
                              c: dSeq + o.q, ldc: ld)
                    // dk (T, hd) = dSᵀ (T, T) · q (T, hd)
                    BLAS.gemm(.transposed, .none, m: T, n: hd, k: T, a: dS, lda: T, b: seq + o.q, ldb: ld,
                              c: dSeq + o.k, ldc: ld)
                }
            }
        }
    }
}
