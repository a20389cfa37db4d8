/// One trainable parameter a model of a given config must have.
public struct ParameterSpec: Equatable, Sendable {
    /// HF name (GPT-2 without the `transformer.` prefix).
    public var name: String
    /// Shape as stored in safetensors (1-D for biases and LayerNorm parameters).
    public var shape: [Int]
    /// Shape of the `Matrix` SAETrack holds it in: 1-D tensors become one row.
    public var matrixShape: (rows: Int, cols: Int) { shape.count == 1 ? (1, shape[0]) : (shape[0], shape[1]) }

    public init(name: String, shape: [Int]) { self.name = name; self.shape = shape }
}

extension ModelConfig {
    /// Every trainable parameter of this architecture, in a stable order (embeddings, blocks,
    /// final norm, head). Non-parameter buffers (causal masks, `inv_freq`) are not listed; a tied
    /// head is not listed either.
    ///
    /// GPT-2 uses Conv1D, so its projection weights are `[in, out]`; GPT-NeoX uses `nn.Linear`,
    /// so its weights are `[out, in]`.
    public var parameterLayout: [ParameterSpec] {
        let (d, f, v) = (dModel, dMLP, vocabSize)
        var out: [ParameterSpec] = []
        func p(_ name: String, _ shape: [Int]) { out.append(ParameterSpec(name: name, shape: shape)) }
        switch self {
        case .gpt2(let c):
            p("wte.weight", [v, d])                              // (V, C)
            p("wpe.weight", [c.nPositions, d])                   // (P, C)
            for i in 0..<c.nLayer {
                let h = "h.\(i)."
                p(h + "ln_1.weight", [d]); p(h + "ln_1.bias", [d])
                p(h + "attn.c_attn.weight", [d, 3 * d]); p(h + "attn.c_attn.bias", [3 * d])   // (C, 3C) = [Q|K|V]
                p(h + "attn.c_proj.weight", [d, d]); p(h + "attn.c_proj.bias", [d])            // (C, C)
                p(h + "ln_2.weight", [d]); p(h + "ln_2.bias", [d])
                p(h + "mlp.c_fc.weight", [d, f]); p(h + "mlp.c_fc.bias", [f])                 // (C, F)
                p(h + "mlp.c_proj.weight", [f, d]); p(h + "mlp.c_proj.bias", [d])             // (F, C)
            }
            p("ln_f.weight", [d]); p("ln_f.bias", [d])
            if !c.tieWordEmbeddings { p("lm_head.weight", [v, d]) }                            // (V, C)
        case .gptNeoX(let c):
            p("gpt_neox.embed_in.weight", [v, d])                // (V, H)
            for i in 0..<c.numHiddenLayers {
                let l = "gpt_neox.layers.\(i)."
                p(l + "input_layernorm.weight", [d]); p(l + "input_layernorm.bias", [d])
                p(l + "post_attention_layernorm.weight", [d]); p(l + "post_attention_layernorm.bias", [d])
                p(l + "attention.query_key_value.weight", [3 * d, d])                         // (3H, H), per-head interleaved
                if c.attentionBias { p(l + "attention.query_key_value.bias", [3 * d]) }
                p(l + "attention.dense.weight", [d, d])                                       // (H, H)
                if c.attentionBias { p(l + "attention.dense.bias", [d]) }
                p(l + "mlp.dense_h_to_4h.weight", [f, d]); p(l + "mlp.dense_h_to_4h.bias", [f]) // (F, H)
                p(l + "mlp.dense_4h_to_h.weight", [d, f]); p(l + "mlp.dense_4h_to_h.bias", [d]) // (H, F)
            }
            p("gpt_neox.final_layer_norm.weight", [d]); p("gpt_neox.final_layer_norm.bias", [d])
            if !c.tieWordEmbeddings { p("embed_out.weight", [v, d]) }                          // (V, H)
        }
        return out
    }

    /// The name of the unembedding parameter when it is tied (and so absent from the weights).
    var tiedHeadName: String? {
        guard tiedEmbeddings else { return nil }
        switch self { case .gpt2: return "lm_head.weight"; case .gptNeoX: return "embed_out.weight" }
    }

    /// True for known non-parameter buffers that checkpoints may carry and loading ignores:
    /// causal masks (`attn.bias`, `attn.masked_bias`, `attention.bias`, `attention.masked_bias`)
    /// and rotary caches (`rotary_emb.inv_freq`).
    static func isIgnoredBuffer(_ name: String) -> Bool {
        for suffix in [".attn.bias", ".attn.masked_bias", ".attention.bias", ".attention.masked_bias", ".rotary_emb.inv_freq"]
        where name.hasSuffix(suffix) { return true }
        return false
    }
}
