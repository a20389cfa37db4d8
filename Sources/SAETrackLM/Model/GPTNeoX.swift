import SAETrackCore
import SAETrackIO

/// GPT-NeoX (Pythia) from Hugging Face weights (Docs/Formats.md, *Model directories*).
///
///     gpt_neox.embed_in.weight                                  (V, C)
///     gpt_neox.layers.{i}.input_layernorm.{weight,bias}          (C)
///     gpt_neox.layers.{i}.attention.query_key_value.weight       (3C, C)  nn.Linear, per-head interleaved
///     gpt_neox.layers.{i}.attention.query_key_value.bias         (3C)     (absent when attention_bias=false)
///     gpt_neox.layers.{i}.attention.dense.{weight (C, C), bias (C)}
///     gpt_neox.layers.{i}.post_attention_layernorm.{weight,bias} (C)
///     gpt_neox.layers.{i}.mlp.dense_h_to_4h.{weight (F, C), bias (F)}
///     gpt_neox.layers.{i}.mlp.dense_4h_to_h.{weight (C, F), bias (C)}
///     gpt_neox.final_layer_norm.{weight,bias}                   (C)
///     embed_out.weight                                          (V, C)   (= embed_in when tied)
///
/// Rotary on the first ⌊head_dim · rotary_pct⌋ dimensions of each head (rotate-half), scale
/// head_dim^−½, exact-erf GELU unless `hidden_act` says otherwise.
enum GPTNeoX {
    static func components(_ config: ModelConfig, _ c: GPTNeoXConfig, from r: inout WeightReader) throws -> LMComponents {
        let (C, F, V, H) = (config.dModel, config.dMLP, config.vocabSize, config.nHeads)
        let headDim = C / H
        let eps = config.layerNormEpsilon
        let rotaryDims = config.rotaryDims
        guard rotaryDims % 2 == 0, rotaryDims <= headDim else {
            throw TransformerLMError.unsupportedConfig(
                model: config.summary, reason: "rotary dims \(rotaryDims) (head_dim \(headDim) × rotary_pct \(c.rotaryPct)) must be even and ≤ head_dim")
        }
        let rotary = rotaryDims > 0
            ? Rotary(dims: rotaryDims, base: config.rotaryBase ?? 10000, maxPositions: config.contextLength) : nil
        let scale = Float(1 / Double(headDim).squareRoot())

        func norm(_ name: String) -> LayerNormWeights {
            LayerNormWeights(weight: r.vector(name + ".weight", C), bias: r.vector(name + ".bias", C), epsilon: eps)
        }
        func linear(_ name: String, out: Int, in inFeatures: Int, bias: Bool = true) -> Linear {
            Linear(weight: r.matrix(name + ".weight", out, inFeatures),
                   bias: bias ? r.vector(name + ".bias", out) : nil, layout: .outIn)
        }

        let embedIn = r.matrix("gpt_neox.embed_in.weight", V, C)
        var blocks: [TransformerBlock] = []
        for i in 0..<config.nLayers {
            let p = "gpt_neox.layers.\(i)."
            let attention = Attention(
                qkv: linear(p + "attention.query_key_value", out: 3 * C, in: C, bias: c.attentionBias),
                output: linear(p + "attention.dense", out: C, in: C, bias: c.attentionBias),
                heads: H, layout: .interleaved, rotary: rotary, scale: scale)
            let mlp = MLP(up: linear(p + "mlp.dense_h_to_4h", out: F, in: C),
                          down: linear(p + "mlp.dense_4h_to_h", out: C, in: F),
                          activation: config.activation)
            blocks.append(TransformerBlock(
                layer: i, ln1: norm(p + "input_layernorm"), ln2: norm(p + "post_attention_layernorm"),
                attention: attention, mlp: mlp, residual: c.useParallelResidual ? .parallel : .sequential))
        }
        let finalNorm = norm("gpt_neox.final_layer_norm")
        let head = c.tieWordEmbeddings && !r.has("embed_out.weight") ? embedIn : r.matrix("embed_out.weight", V, C)
        return LMComponents(embedding: Embedding(tokens: embedIn, positions: nil), blocks: blocks,
                            finalNorm: finalNorm, unembed: Linear(weight: head, bias: nil, layout: .outIn))
    }
}
