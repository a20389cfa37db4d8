import SAETrackCore
import SAETrackIO

/// GPT-2 from Hugging Face weights, names without the `transformer.` prefix (Docs/Formats.md, *Model directories*).
///
///     wte.weight (V, C), wpe.weight (P, C)
///     h.{i}.ln_1.{weight,bias} (C)
///     h.{i}.attn.c_attn.{weight (C, 3C), bias (3C)}    Conv1D [in, out], columns [Q | K | V]
///     h.{i}.attn.c_proj.{weight (C, C), bias (C)}
///     h.{i}.ln_2.{weight,bias} (C)
///     h.{i}.mlp.c_fc.{weight (C, F), bias (F)}
///     h.{i}.mlp.c_proj.{weight (F, C), bias (C)}
///     ln_f.{weight,bias} (C)
///     lm_head.weight (V, C)                              only when untied; otherwise wte
///
/// Sequential pre-LN blocks; attention scale 1/√head_dim (if `scale_attn_weights`), further
/// divided by (layer + 1) under `scale_attn_by_inverse_layer_idx`.
enum GPT2 {
    static func components(_ config: ModelConfig, _ c: GPT2Config, from r: inout WeightReader) throws -> LMComponents {
        let (C, F, V, H, P) = (config.dModel, config.dMLP, config.vocabSize, config.nHeads, c.nPositions)
        let headDim = C / H
        let eps = config.layerNormEpsilon

        func norm(_ name: String) -> LayerNormWeights {
            LayerNormWeights(weight: r.vector(name + ".weight", C), bias: r.vector(name + ".bias", C), epsilon: eps)
        }
        func conv1D(_ name: String, in inFeatures: Int, out: Int) -> Linear {
            Linear(weight: r.matrix(name + ".weight", inFeatures, out), bias: r.vector(name + ".bias", out), layout: .inOut)
        }

        let wte = r.matrix("wte.weight", V, C)
        let wpe = r.matrix("wpe.weight", P, C)
        var blocks: [TransformerBlock] = []
        for i in 0..<config.nLayers {
            let p = "h.\(i)."
            var scale = c.scaleAttnWeights ? 1 / Double(headDim).squareRoot() : 1
            if c.scaleAttnByInverseLayerIdx { scale /= Double(i + 1) }
            let attention = Attention(qkv: conv1D(p + "attn.c_attn", in: C, out: 3 * C),
                                      output: conv1D(p + "attn.c_proj", in: C, out: C),
                                      heads: H, layout: .blocked, rotary: nil, scale: Float(scale))
            let mlp = MLP(up: conv1D(p + "mlp.c_fc", in: C, out: F), down: conv1D(p + "mlp.c_proj", in: F, out: C),
                          activation: config.activation)
            blocks.append(TransformerBlock(layer: i, ln1: norm(p + "ln_1"), ln2: norm(p + "ln_2"),
                                           attention: attention, mlp: mlp, residual: .sequential))
        }
        let finalNorm = norm("ln_f")
        let head = c.tieWordEmbeddings && !r.has("lm_head.weight") ? wte : r.matrix("lm_head.weight", V, C)
        return LMComponents(embedding: Embedding(tokens: wte, positions: wpe), blocks: blocks,
                            finalNorm: finalNorm, unembed: Linear(weight: head, bias: nil, layout: .outIn))
    }
}
