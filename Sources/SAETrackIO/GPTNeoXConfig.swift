/// A Hugging Face GPT-NeoX / Pythia `config.json` (`model_type: "gpt_neox"`), keys mapped one to one.
///
/// The rotary embedding is read from either form transformers has written:
/// the legacy `rotary_pct` + `rotary_emb_base` keys (Pythia on the Hub) or the newer
/// `rope_parameters: {rope_theta, partial_rotary_factor, rope_type}` object (transformers ≥ 5).
/// As in transformers, `rope_parameters` wins and the legacy keys fill whatever it lacks.
public struct GPTNeoXConfig: Codable, Equatable, Sendable {
    /// Residual stream width (`hidden_size`).
    public var hiddenSize: Int
    /// Number of transformer blocks (`num_hidden_layers`).
    public var numHiddenLayers: Int
    /// Attention heads per block (`num_attention_heads`); must divide `hiddenSize`.
    public var numAttentionHeads: Int
    /// MLP width (`intermediate_size`).
    public var intermediateSize: Int
    /// Fraction of each head's dimensions that are rotated (`rotary_pct` or
    /// `rope_parameters.partial_rotary_factor`, default 0.25).
    public var rotaryPct: Double
    /// Rotary base θ (`rotary_emb_base` or `rope_parameters.rope_theta`, default 10000).
    public var rotaryEmbBase: Double
    /// Maximum context length (`max_position_embeddings`).
    public var maxPositionEmbeddings: Int
    /// LayerNorm epsilon (`layer_norm_eps`, default 1e-5).
    public var layerNormEps: Double
    /// `x + attn(ln1(x)) + mlp(ln2(x))` when true, sequential residual when false (default true).
    public var useParallelResidual: Bool
    /// The HF activation name (`hidden_act`, default `"gelu"`, the exact erf GELU).
    public var hiddenAct: String
    /// `embed_out` shares `embed_in` (`tie_word_embeddings`, default false).
    public var tieWordEmbeddings: Bool
    /// Attention projections carry biases (`attention_bias`, default true).
    public var attentionBias: Bool
    /// Vocabulary size (`vocab_size`).
    public var vocabSize: Int
    /// Beginning-of-sequence token (`bos_token_id`, default 0).
    public var bosTokenID: Int?
    /// End-of-sequence token (`eos_token_id`, default 2 as in transformers; Pythia uses 0).
    public var eosTokenID: Int?

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case rotaryPct = "rotary_pct", rotaryEmbBase = "rotary_emb_base", ropeParameters = "rope_parameters"
        case ropeScaling = "rope_scaling", ropeTheta = "rope_theta", partialRotaryFactor = "partial_rotary_factor"
        case maxPositionEmbeddings = "max_position_embeddings", layerNormEps = "layer_norm_eps"
        case useParallelResidual = "use_parallel_residual", hiddenAct = "hidden_act"
        case tieWordEmbeddings = "tie_word_embeddings", attentionBias = "attention_bias"
        case vocabSize = "vocab_size", bosTokenID = "bos_token_id", eosTokenID = "eos_token_id"
        case modelType = "model_type", architectures
    }

    /// The newer `rope_parameters` object.
    struct RopeParameters: Codable {
        var ropeTheta: Double?
        var partialRotaryFactor: Double?
        var ropeType: String?
        enum CodingKeys: String, CodingKey {
            case ropeTheta = "rope_theta", partialRotaryFactor = "partial_rotary_factor", ropeType = "rope_type"
        }
    }

    /// A GPT-NeoX config with transformers' defaults for everything not given.
    public init(hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, intermediateSize: Int? = nil,
                vocabSize: Int, maxPositionEmbeddings: Int = 2048, rotaryPct: Double = 0.25,
                rotaryEmbBase: Double = 10000, layerNormEps: Double = 1e-5, useParallelResidual: Bool = true,
                hiddenAct: String = "gelu", tieWordEmbeddings: Bool = false, attentionBias: Bool = true,
                bosTokenID: Int? = 0, eosTokenID: Int? = 0) {
        self.hiddenSize = hiddenSize; self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads; self.intermediateSize = intermediateSize ?? 4 * hiddenSize
        self.vocabSize = vocabSize; self.maxPositionEmbeddings = maxPositionEmbeddings
        self.rotaryPct = rotaryPct; self.rotaryEmbBase = rotaryEmbBase; self.layerNormEps = layerNormEps
        self.useParallelResidual = useParallelResidual; self.hiddenAct = hiddenAct
        self.tieWordEmbeddings = tieWordEmbeddings; self.attentionBias = attentionBias
        self.bosTokenID = bosTokenID; self.eosTokenID = eosTokenID
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // The keys that fix tensor shapes are required: transformers' class defaults (6144, 44
        // layers, 64 heads, 24576, vocab 50432) would silently describe another model.
        hiddenSize = try ConfigValueError.required(c, .hiddenSize, architecture: "GPT-NeoX")
        numHiddenLayers = try ConfigValueError.required(c, .numHiddenLayers, architecture: "GPT-NeoX")
        numAttentionHeads = try ConfigValueError.required(c, .numAttentionHeads, architecture: "GPT-NeoX")
        intermediateSize = try ConfigValueError.required(c, .intermediateSize, architecture: "GPT-NeoX")
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 2048
        layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps) ?? 1e-5
        useParallelResidual = try c.decodeIfPresent(Bool.self, forKey: .useParallelResidual) ?? true
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "gelu"
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? true
        vocabSize = try ConfigValueError.required(c, .vocabSize, architecture: "GPT-NeoX")
        bosTokenID = c.contains(.bosTokenID) ? try c.decodeIfPresent(Int.self, forKey: .bosTokenID) : 0
        eosTokenID = c.contains(.eosTokenID) ? try c.decodeIfPresent(Int.self, forKey: .eosTokenID) : 2

        // Rotary: rope_parameters first, then the legacy keys, then transformers' defaults.
        let rope = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters)
        if let type = rope?.ropeType, type != "default" {
            throw ConfigValueError(kind: .rope, key: "rope_parameters.rope_type",
                                   reason: "rope_type \"\(type)\" (only \"default\" is implemented)")
        }
        if c.contains(.ropeScaling), try !c.decodeNil(forKey: .ropeScaling) {
            throw ConfigValueError(kind: .rope, key: "rope_scaling", reason: "rope_scaling is set (only unscaled rotary is implemented)")
        }
        rotaryPct = try rope?.partialRotaryFactor ?? c.decodeIfPresent(Double.self, forKey: .rotaryPct) ?? 0.25
        rotaryEmbBase = try rope?.ropeTheta ?? c.decodeIfPresent(Double.self, forKey: .rotaryEmbBase) ?? 10000
        try validate()
    }

    /// Writes both rotary forms (identical values) so old and new transformers read the same model.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("gpt_neox", forKey: .modelType)
        try c.encode(["GPTNeoXForCausalLM"], forKey: .architectures)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(rotaryPct, forKey: .rotaryPct)
        try c.encode(rotaryEmbBase, forKey: .rotaryEmbBase)
        try c.encode(RopeParameters(ropeTheta: rotaryEmbBase, partialRotaryFactor: rotaryPct, ropeType: "default"),
                     forKey: .ropeParameters)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(layerNormEps, forKey: .layerNormEps)
        try c.encode(useParallelResidual, forKey: .useParallelResidual)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode(attentionBias, forKey: .attentionBias)
        try c.encode(vocabSize, forKey: .vocabSize)
        if let bosTokenID { try c.encode(bosTokenID, forKey: .bosTokenID) } else { try c.encodeNil(forKey: .bosTokenID) }
        if let eosTokenID { try c.encode(eosTokenID, forKey: .eosTokenID) } else { try c.encodeNil(forKey: .eosTokenID) }
    }

    /// Dimensions per attention head.
    public var headDim: Int { hiddenSize / numAttentionHeads }

    /// Rotated dimensions per head, `Int(headDim · rotaryPct)` as transformers computes it.
    public var rotaryDims: Int { Int(Double(headDim) * rotaryPct) }

    /// The normalised activation (validated on decode).
    public var activation: ActivationFunction { ActivationFunction(huggingFaceName: hiddenAct) ?? .geluExact }

    /// Checks every value the way transformers' `GPTNeoXConfig` and model constructor would
    /// (positive sizes, `hidden_size` divisible by `num_attention_heads`, a known activation).
    func validate() throws {
        try ConfigValueError.require(hiddenSize, atLeast: 1, key: "hidden_size")
        try ConfigValueError.require(numHiddenLayers, atLeast: 1, key: "num_hidden_layers")
        try ConfigValueError.require(numAttentionHeads, atLeast: 1, key: "num_attention_heads")
        try ConfigValueError.require(intermediateSize, atLeast: 1, key: "intermediate_size")
        try ConfigValueError.require(maxPositionEmbeddings, atLeast: 1, key: "max_position_embeddings")
        try ConfigValueError.require(vocabSize, atLeast: 1, key: "vocab_size")
        guard hiddenSize % numAttentionHeads == 0 else {
            throw ConfigValueError(kind: .invalid, key: "num_attention_heads",
                                   reason: "hidden_size \(hiddenSize) is not divisible by num_attention_heads \(numAttentionHeads)")
        }
        guard rotaryPct >= 0, rotaryPct <= 1 else {
            throw ConfigValueError(kind: .invalid, key: "rotary_pct", reason: "must be in [0, 1], got \(rotaryPct)")
        }
        guard rotaryEmbBase > 0, rotaryEmbBase.isFinite else {
            throw ConfigValueError(kind: .invalid, key: "rotary_emb_base", reason: "must be positive, got \(rotaryEmbBase)")
        }
        guard layerNormEps > 0, layerNormEps.isFinite else {
            throw ConfigValueError(kind: .invalid, key: "layer_norm_eps", reason: "must be positive, got \(layerNormEps)")
        }
        guard ActivationFunction(huggingFaceName: hiddenAct) != nil else {
            throw ConfigValueError(kind: .activation, key: "hidden_act", reason: hiddenAct)
        }
    }
}
