import SAETrackCore

/// Multi-head causal self-attention over fused QKV rows, forward and backward (llm.c's
/// `attention_forward` / `attention_backward`), with BLAS for the per-(row, head) matmuls.
///
/// Work is split over the B·NH (row, head) pairs with ``ParallelBLASRegion`` (single-threaded BLAS in
/// each worker); the causal softmax and its backward are Core's ``Softmax`` kernels over all pairs at once.
/// Queries and keys arrive already rotated (``RotaryPositions``).
enum CausalSelfAttention {
    /// Forward.
    /// - Parameters:
    ///   - qkv: (B*T, 3C) fused projections, laid out as `layout` says.
    ///   - att: (B, NH, T, T) written: the attention probabilities (0 above the diagonal), kept for the backward.
    ///   - out: (B*T, C) written: head h's output in columns `h·hd ..< (h+1)·hd`.
    ///   - scale: score scale, 1/√hd (GPT-2 may further divide by layer + 1).
    static func forward(
        qkv: UnsafePointer<Float>, att: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
        batch b: Int, context t: Int, layout: HeadColumns, scale: Float
    ) {
        let (nh, hd, w) = (layout.heads, layout.headDim, layout.rowWidth)
        let c = nh * hd
        // scores (T, T) = q (T, hd) · kᵀ (hd, T) per (row, head)
        ParallelBLASRegion.forEachChunk(b * nh) { pairs in
            for p in pairs {
                let (row, h) = (p / nh, p % nh)
                let base = qkv + row * t * w
                BLAS.gemm(.none, .transposed, m: t, n: t, k: hd, a: base + layout.query(h), lda: w,
                          b: base + layout.key(h), ldb: w, c: att + p * t * t, ldc: t)
            }
        }
        // probabilities = causal softmax(scale · scores), in place
        Softmax.forward(att, att, rows: b * nh * t, cols: t, scale: scale, causal: true)
        // out (T, hd) = P (T, T) · v (T, hd) per (row, head)
        ParallelBLASRegion.forEachChunk(b * nh) { pairs in
            for p in pairs {
                let (row, h) = (p / nh, p % nh)
                BLAS.gemm(.none, .none, m: t, n: hd, k: t, a: att + p * t * t, lda: t,
                          b: qkv + row * t * w + layout.value(h), ldb: w,
                          c: out + row * t * c + h * hd, ldc: c)
            }
        }
    }

    /// Backward.
    /// - Parameters:
    ///   - dOut: (B*T, C) gradient of the attention output.
    ///   - qkv: (B*T, 3C) and att: (B, NH, T, T) from the forward.
    ///   - dAtt: (B, NH, T, T) scratch, overwritten.
    ///   - dqkv: (B*T, 3C) written: gradient of the (rotated) fused projections.
    static func backward(
        dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>, att: UnsafePointer<Float>,
        dAtt: UnsafeMutablePointer<Float>, dqkv: UnsafeMutablePointer<Float>,
        batch b: Int, context t: Int, layout: HeadColumns, scale: Float
    ) {
        let (nh, hd, w) = (layout.heads, layout.headDim, layout.rowWidth)
        let c = nh * hd
        ParallelBLASRegion.forEachChunk(b * nh) { pairs in
            for p in pairs {
                let (row, h) = (p / nh, p % nh)
                let dO = dOut + row * t * c + h * hd
                // dP (T, T) = dOut (T, hd) · vᵀ (hd, T)
                BLAS.gemm(.none, .transposed, m: t, n: t, k: hd, a: dO, lda: c,
                          b: qkv + row * t * w + layout.value(h), ldb: w, c: dAtt + p * t * t, ldc: t)
                // dv (T, hd) = Pᵀ (T, T) · dOut (T, hd)
                BLAS.gemm(.transposed, .none, m: t, n: hd, k: t, a: att + p * t * t, lda: t, b: dO, ldb: c,
                          c: dqkv + row * t * w + layout.value(h), ldc: w)
            }
        }
        // dScores = scale · P ⊙ (dP − rowsum(dP ⊙ P)), in place
        Softmax.backward(y: att, dy: dAtt, dx: dAtt, rows: b * nh * t, cols: t, scale: scale)
        ParallelBLASRegion.forEachChunk(b * nh) { pairs in
            for p in pairs {
                let (row, h) = (p / nh, p % nh)
                let base = qkv + row * t * w, dBase = dqkv + row * t * w
                let dS = UnsafePointer(dAtt + p * t * t)
                // dq (T, hd) = dS (T, T) · k (T, hd)
                BLAS.gemm(.none, .none, m: t, n: hd, k: t, a: dS, lda: t, b: base + layout.key(h), ldb: w,
                          c: dBase + layout.query(h), ldc: w)
                // dk (T, hd) = dSᵀ (T, T) · q (T, hd)
                BLAS.gemm(.transposed, .none, m: t, n: hd, k: t, a: dS, lda: t, b: base + layout.query(h), ldb: w,
                          c: dBase + layout.key(h), ldc: w)
            }
        }
    }
}
