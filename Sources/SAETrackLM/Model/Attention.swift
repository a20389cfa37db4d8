import CSupport
import SAETrackCore

/// Causal multi-head self-attention with a fused QKV projection (GPT-2 and GPT-NeoX).
///
///     qkv = x · W_qkv + b_qkv                         (B*T, 3C), heads laid out per ``QKVLayout``
///     q, k ← rotary(q, k)                             GPT-NeoX only, first `rotary.dims` of each head
///     att[b,h] = softmax_causal(scale · q_bh · k_bhᵀ)  (T, T)
///     y[b, :, h] = att[b,h] · v_bh                     (T, hd) into columns h·hd of (B*T, C)
///     out = y · W_o + b_o                             (B*T, C)
public struct Attention: Sendable {
    /// (C) → (3C) fused projection.
    public let qkv: Linear
    /// (C) → (C) output projection.
    public let output: Linear
    /// Number of heads H; head_dim = C / H.
    public let heads: Int
    /// Where each head's q, k, v sit in the fused projection.
    public let layout: QKVLayout
    /// Rotary embedding (GPT-NeoX) or nil (GPT-2's learned positions are added at the embedding).
    public let rotary: Rotary?
    /// Multiplier on q·kᵀ: 1/√head_dim, further divided by (layer + 1) under GPT-2's
    /// `scale_attn_by_inverse_layer_idx`.
    public let scale: Float

    /// C, the residual width.
    public var dModel: Int { output.outFeatures }
    /// Dimensions per head.
    public var headDim: Int { dModel / heads }

    public init(qkv: Linear, output: Linear, heads: Int, layout: QKVLayout, rotary: Rotary?, scale: Float) {
        precondition(qkv.outFeatures == 3 * qkv.inFeatures && qkv.inFeatures % heads == 0,
                     "Attention: QKV projection \(qkv.inFeatures)→\(qkv.outFeatures) does not fit \(heads) heads")
        self.qkv = qkv
        self.output = output
        self.heads = heads
        self.layout = layout
        self.rotary = rotary
        self.scale = scale
    }

    /// Forward over a batch of `rows` sequences of `context` tokens.
    /// - Parameter x: (rows·context, C) the LayerNorm-ed residual stream.
    /// - Returns: (rows·context, C) the attention output after the output projection.
    public func callAsFunction(_ x: Matrix, rows: Int, context: Int) -> Matrix {
        precondition(x.rows == rows * context, "Attention: \(x.rows) tokens for \(rows)×\(context)")
        precondition(x.cols == qkv.inFeatures, "Attention: input has \(x.cols) columns, expected \(qkv.inFeatures)")
        // (B*T, 3C); with rotary, the bias is added in the rotary pass
        var fused = Matrix(uninitializedRows: x.rows, cols: qkv.outFeatures)
        x.withUnsafeBufferPointer { px in
            fused.withUnsafeMutableBufferPointer { pf in
                qkv.forward(px.baseAddress!, pf.baseAddress!, rows: x.rows, includingBias: rotary == nil)
            }
        }
        // Both fully written: att by the scores GEMM + causal softmax (zeros above the diagonal),
        // y by the per-head value GEMMs.
        var att = Matrix(uninitializedRows: rows * heads * context, cols: context)   // (B*H*T, T)
        var y = Matrix(uninitializedRows: x.rows, cols: dModel)                      // (B*T, C)
        if let rotary {
            let bias = qkv.bias ?? [Float](repeating: 0, count: qkv.outFeatures)
            fused.withUnsafeMutableBufferPointer { q in
                bias.withUnsafeBufferPointer { b in
                    rotary.rotate(q.baseAddress!, rows: rows, context: context, heads: heads, headDim: headDim,
                                  layout: layout, bias: b.baseAddress!)
                }
            }
        }
        fused.withUnsafeBufferPointer { q in
            att.withUnsafeMutableBufferPointer { a in
                y.withUnsafeMutableBufferPointer { o in
                    Self.causalForward(qkv: q.baseAddress!, att: a.baseAddress!, out: o.baseAddress!,
                                       rows: rows, context: context, heads: heads, headDim: headDim,
                                       layout: layout, scale: scale)
                }
            }
        }
        return output(y)
    }

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
    public static func causalForward(
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
