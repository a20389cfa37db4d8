import SAETrackIO

/// Where each named parameter tensor lives in one flat buffer (llm.c's `malloc_and_point_parameters`).
///
/// Parameters, gradients and both AdamW moments share this layout, so the optimizer and the
/// gradient-norm clip are single passes over flat memory, and a checkpoint is the buffer sliced by
/// name. The tensors, their Hugging Face names, shapes and order are the IO module's
/// `ModelConfig.parameterLayout` (a tied unembedding is the token embedding, stored once).
public struct ParameterLayout: Sendable {
    /// One named tensor inside the flat buffer.
    public struct Tensor: Sendable, Equatable {
        /// The Hugging Face state-dict name (GPT-2 without `transformer.`).
        public var name: String
        /// The Hugging Face shape (`[rows, cols]` or `[n]`).
        public var shape: [Int]
        /// First element in the flat buffer.
        public var offset: Int
        /// What the tensor is, for initialisation and weight-decay grouping.
        public var role: Role
        /// Number of elements.
        public var count: Int { shape.reduce(1, *) }
        /// Elements `offset ..< offset + count`.
        public var range: Range<Int> { offset..<(offset + count) }
        /// AdamW decays matrices and embeddings (the ≥ 2-D tensors), never biases or LayerNorm parameters.
        public var decays: Bool { role == .weight || role == .residualOutputWeight || role == .embedding }
    }

    /// The kind of a parameter tensor.
    public enum Role: Sendable, Equatable {
        /// A projection matrix, initialised normal(0, initializer_range).
        case weight
        /// GPT-2's `c_proj` weights, initialised normal(0, initializer_range / √(2L)) as transformers does.
        case residualOutputWeight
        /// A token or position embedding, or an untied unembedding: normal(0, initializer_range).
        case embedding
        /// A bias, zero at init.
        case bias
        /// LayerNorm gain, one at init.
        case normWeight
        /// LayerNorm shift, zero at init.
        case normBias
    }

    /// Offsets of one block's tensors. Shapes: NeoX weights (out, in), GPT-2 weights (in, out).
    public struct Block: Sendable {
        public var ln1Weight, ln1Bias: Int          // (C)
        public var qkvWeight: Int                   // (3C, C) / (C, 3C)
        public var qkvBias: Int?                    // (3C); nil without attention biases
        public var attnOutWeight: Int               // (C, C)
        public var attnOutBias: Int?                // (C)
        public var ln2Weight, ln2Bias: Int          // (C)
        public var fcWeight, fcBias: Int            // (M, C) / (C, M); (M)
        public var fcOutWeight, fcOutBias: Int      // (C, M) / (M, C); (C)
    }

    /// Every tensor in buffer order.
    public let tensors: [Tensor]
    /// Total number of floats.
    public let count: Int
    /// Token embedding (V, C).
    public let tokenEmbedding: Int
    /// Learned positions (P, C), GPT-2 only.
    public let positionEmbedding: Int?
    /// Per-block offsets.
    public let blocks: [Block]
    /// Final LayerNorm gain and shift (C).
    public let finalNormWeight: Int, finalNormBias: Int
    /// Unembedding (V, C): its own tensor, or the token embedding when tied.
    public let unembedding: Int

    private let index: [String: Int]

    /// The layout of `config`'s parameters, in `ModelConfig.parameterLayout` order.
    public init(_ config: ModelConfig) {
        var tensors: [Tensor] = [], index: [String: Int] = [:], count = 0
        let neox: Bool
        if case .gptNeoX = config { neox = true } else { neox = false }
        for spec in config.parameterLayout {
            index[spec.name] = tensors.count
            tensors.append(Tensor(name: spec.name, shape: spec.shape, offset: count,
                                  role: Self.role(of: spec.name, shape: spec.shape, neox: neox)))
            count += spec.shape.reduce(1, *)
        }
        self.tensors = tensors
        self.index = index
        self.count = count
        func at(_ name: String) -> Int { tensors[index[name]!].offset }
        func optional(_ name: String) -> Int? { index[name].map { tensors[$0].offset } }
        if neox {
            tokenEmbedding = at("gpt_neox.embed_in.weight")
            positionEmbedding = nil
            blocks = (0..<config.nLayers).map { i in
                let p = "gpt_neox.layers.\(i)."
                return Block(ln1Weight: at(p + "input_layernorm.weight"), ln1Bias: at(p + "input_layernorm.bias"),
                             qkvWeight: at(p + "attention.query_key_value.weight"),
                             qkvBias: optional(p + "attention.query_key_value.bias"),
                             attnOutWeight: at(p + "attention.dense.weight"), attnOutBias: optional(p + "attention.dense.bias"),
                             ln2Weight: at(p + "post_attention_layernorm.weight"), ln2Bias: at(p + "post_attention_layernorm.bias"),
                             fcWeight: at(p + "mlp.dense_h_to_4h.weight"), fcBias: at(p + "mlp.dense_h_to_4h.bias"),
                             fcOutWeight: at(p + "mlp.dense_4h_to_h.weight"), fcOutBias: at(p + "mlp.dense_4h_to_h.bias"))
            }
            finalNormWeight = at("gpt_neox.final_layer_norm.weight")
            finalNormBias = at("gpt_neox.final_layer_norm.bias")
            unembedding = optional("embed_out.weight") ?? tokenEmbedding
        } else {
            tokenEmbedding = at("wte.weight")
            positionEmbedding = at("wpe.weight")
            blocks = (0..<config.nLayers).map { i in
                let p = "h.\(i)."
                return Block(ln1Weight: at(p + "ln_1.weight"), ln1Bias: at(p + "ln_1.bias"),
                             qkvWeight: at(p + "attn.c_attn.weight"), qkvBias: optional(p + "attn.c_attn.bias"),
                             attnOutWeight: at(p + "attn.c_proj.weight"), attnOutBias: optional(p + "attn.c_proj.bias"),
                             ln2Weight: at(p + "ln_2.weight"), ln2Bias: at(p + "ln_2.bias"),
                             fcWeight: at(p + "mlp.c_fc.weight"), fcBias: at(p + "mlp.c_fc.bias"),
                             fcOutWeight: at(p + "mlp.c_proj.weight"), fcOutBias: at(p + "mlp.c_proj.bias"))
            }
            finalNormWeight = at("ln_f.weight")
            finalNormBias = at("ln_f.bias")
            unembedding = optional("lm_head.weight") ?? tokenEmbedding
        }
    }

    /// The tensor called `name`, if the layout has one.
    public func tensor(named name: String) -> Tensor? { index[name].map { tensors[$0] } }

    private static func role(of name: String, shape: [Int], neox: Bool) -> Role {
        let norms = ["layernorm", "layer_norm", "ln_1.", "ln_2.", "ln_f."]
        if shape.count == 1 {
            guard norms.contains(where: name.contains) else { return .bias }
            return name.hasSuffix(".weight") ? .normWeight : .normBias
        }
        let embeddings = ["embed_in.", "embed_out.", "wte.", "wpe.", "lm_head."]
        if embeddings.contains(where: name.hasPrefix) || name.contains(".embed_in.") { return .embedding }
        if !neox && name.hasSuffix("c_proj.weight") { return .residualOutputWeight }
        return .weight
    }
}
