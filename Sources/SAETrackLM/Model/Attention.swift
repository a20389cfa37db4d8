import CSupport
import SAETrackCore

/// The core of causal multi-head self-attention (GPT-2 and GPT-NeoX), forward here and backward
/// beside it in Attention+Backward.swift; ``TransformerModel`` does the projections around it:
///
///     qkv = x · W_qkv + b_qkv                         (B*T, 3C), heads laid out per ``QKVLayout``
///     q, k ← rotary(q, k)                             GPT-NeoX only, first `rotary.dims` of each head
///     att[b,h] = softmax_causal(scale · q_bh · k_bhᵀ)  (T, T)
///     y[b, :, h] = att[b,h] · v_bh                     (T, hd) into columns h·hd of (B*T, C)
///     out = y · W_o + b_o                             (B*T, C)
package enum Attention {
    /// Query rows per GEMM block: block `[i0, i1)` only needs keys `0..<i1`, which skips most of
    /// the masked upper triangle.
    static let queryBlock = 32

    /// The attention core, from fused q/k/v (already rotated) to the concatenated head outputs.
    ///
    /// Row-parallel over (sequence, head) pairs in one parallel region. Where the CPU runs AVX2 +
    /// FMA, each pair is one call of CSupport's `saetrack_attention_forward` (register-blocked
    /// products that skip the masked triangle, the softmax between them); elsewhere (and under
    /// `SIMDMath.withKernelForm(.portable)`) one-thread GEMMs in `queryBlock`-row blocks with
    /// Core's `Softmax` kernel between the two phases.
    /// - Parameters:
    ///   - qkv: (B*T, 3C) fused projections, row stride 3C.
    ///   - att: (B*H*T, T) written: the attention probabilities (exact zeros above the diagonal),
    ///     kept for a backward pass.
    ///   - out: (B*T, C) written: head h in columns h·hd ..< (h+1)·hd.
    package static func causalForward(
        qkv: UnsafePointer<Float>, att: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
        rows: Int, context: Int, heads: Int, headDim: Int, layout: QKVLayout, scale: Float
    ) {
        let (T, C, hd) = (context, heads * headDim, headDim)
        let ld = 3 * C
        // One parallel region: each (sequence, head) pair's (T, T) tile is scored, normalised and
        // applied while it sits in the core's cache.
        Parallel.forEachChunk(rows * heads) { pairs in
            for bh in pairs {
                let (b, h) = (bh / heads, bh % heads)
                let o = layout.offsets(head: h, headDim: hd, dModel: C)
                let seq = qkv + b * T * ld                                   // (T, 3C)
                let tile = att + bh * T * T                                  // (T, T)
                let y = out + b * T * C + h * hd                              // (T, hd), stride C
                // the AVX2 + FMA pair kernel where this CPU and thread run it; BLAS otherwise
                if saetrack_attention_forward(seq + o.q, seq + o.k, seq + o.v, ld, T, hd, scale, tile, y, C) != 0 {
                    continue
                }
                // scores, scale · q kᵀ, lower triangle (block-wise)
                for i0 in stride(from: 0, to: T, by: queryBlock) {
                    let i1 = min(T, i0 + queryBlock)
                    BLAS.gemm(.none, .transposed, m: i1 - i0, n: i1, k: hd, alpha: scale,
                              a: seq + i0 * ld + o.q, lda: ld, b: seq + o.k, ldb: ld,
                              c: tile + i0 * T, ldc: T)
                }
                // causal softmax over keys j ≤ t (inline: we are inside a parallel loop)
                Softmax.forward(tile, tile, rows: T, cols: T, causal: true)
                // y_bh = att_bh · v_bh, only over the keys a query block can see
                for i0 in stride(from: 0, to: T, by: queryBlock) {
                    let i1 = min(T, i0 + queryBlock)
                    BLAS.gemm(.none, .none, m: i1 - i0, n: hd, k: i1,
                              a: tile + i0 * T, lda: T, b: seq + o.v, ldb: ld,
                              c: y + i0 * C, ldc: C)
                }
            }
        }
    }
}
