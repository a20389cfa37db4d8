/// A Hugging Face GPT-2 `config.json` (`model_type: "gpt2"`), keys mapped one to one.
///
/// Decodes every variant seen in the wild: `n_inner: null` (→ 4·n_embd), missing optional keys
/// (transformers' defaults apply; the shape-defining `n_embd`, `n_layer`, `n_head`, `vocab_size`
/// and `n_positions`/`n_ctx` are required), `scale_attn_by_inverse_layer_idx`, `tie_word_embeddings`.
/// Classifier-head keys (`summary_*`) and dropouts are ignored on read.
public struct GPT2Config: Codable, Equatable, Sendable {
    /// Residual stream width (`n_embd`).
    public var nEmbd: Int
    /// Number of transformer blocks (`n_layer`).
    public var nLayer: Int
    /// Attention heads per block (`n_head`); must divide `nEmbd`.
    public var nHead: Int
    /// Maximum context length (`n_positions`).
    public var nPositions: Int
    /// MLP width (`n_inner`); nil means 4·n_embd.
    public var nInner: Int?
    /// Vocabulary size (`vocab_size`).
    public var vocabSize: Int
    /// LayerNorm epsilon (`layer_norm_epsilon`, default 1e-5).
    public var layerNormEpsilon: Double
    /// The HF activation name (`activation_function`, default `"gelu_new"`).
    public var activationFunction: String
    /// Scale attention scores by 1/√head_dim (`scale_attn_weights`, default true).
    public var scaleAttnWeights: Bool
    /// Additionally scale layer i's scores by 1/(i+1) (`scale_attn_by_inverse_layer_idx`, default false).
    public var scaleAttnByInverseLayerIdx: Bool
    /// Upcast attention to F32 before the softmax (`reorder_and_upcast_attn`, default false; no effect in F32).
    public var reorderAndUpcastAttn: Bool
    /// The LM head shares `wte` (`tie_word_embeddings`, default true).
    public var tieWordEmbeddings: Bool
    /// Beginning-of-sequence token (`bos_token_id`, default 50256).
    public var bosTokenID: Int?
    /// End-of-sequence token (`eos_token_id`, default 50256).
    public var eosTokenID: Int?

    enum CodingKeys: String, CodingKey {
        case nEmbd = "n_embd", nLayer = "n_layer", nHead = "n_head", nPositions = "n_positions"
        case nInner = "n_inner", vocabSize = "vocab_size", layerNormEpsilon = "layer_norm_epsilon"
        case activationFunction = "activation_function", scaleAttnWeights = "scale_attn_weights"
        case scaleAttnByInverseLayerIdx = "scale_attn_by_inverse_layer_idx"
        case reorderAndUpcastAttn = "reorder_and_upcast_attn", tieWordEmbeddings = "tie_word_embeddings"
        case bosTokenID = "bos_token_id", eosTokenID = "eos_token_id"
        // Written for transformers, never required on read.
        case modelType = "model_type", architectures, nCtx = "n_ctx"
    }

    /// A GPT-2 config with transformers' defaults for everything not given.
    public init(nEmbd: Int, nLayer: Int, nHead: Int, nPositions: Int, vocabSize: Int, nInner: Int? = nil,
                layerNormEpsilon: Double = 1e-5, activationFunction: String = "gelu_new",
                scaleAttnWeights: Bool = true, scaleAttnByInverseLayerIdx: Bool = false,
                reorderAndUpcastAttn: Bool = false, tieWordEmbeddings: Bool = true,
                bosTokenID: Int? = 50256, eosTokenID: Int? = 50256) {
        self.nEmbd = nEmbd; self.nLayer = nLayer; self.nHead = nHead; self.nPositions = nPositions
        self.vocabSize = vocabSize; self.nInner = nInner; self.layerNormEpsilon = layerNormEpsilon
        self.activationFunction = activationFunction; self.scaleAttnWeights = scaleAttnWeights
        self.scaleAttnByInverseLayerIdx = scaleAttnByInverseLayerIdx
        self.reorderAndUpcastAttn = reorderAndUpcastAttn; self.tieWordEmbeddings = tieWordEmbeddings
        self.bosTokenID = bosTokenID; self.eosTokenID = eosTokenID
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // The keys that fix tensor shapes are required (transformers would substitute GPT-2
        // small's); `n_positions` may be given as the older `n_ctx`.
        nEmbd = try ConfigValueError.required(c, .nEmbd, architecture: "GPT-2")
        nLayer = try ConfigValueError.required(c, .nLayer, architecture: "GPT-2")
        nHead = try ConfigValueError.required(c, .nHead, architecture: "GPT-2")
        nPositions = try c.contains(.nPositions) ? ConfigValueError.required(c, .nPositions, architecture: "GPT-2")
            : ConfigValueError.required(c, .nCtx, architecture: "GPT-2")
        nInner = try c.decodeIfPresent(Int.self, forKey: .nInner)
        vocabSize = try ConfigValueError.required(c, .vocabSize, architecture: "GPT-2")
        layerNormEpsilon = try c.decodeIfPresent(Double.self, forKey: .layerNormEpsilon) ?? 1e-5
        activationFunction = try c.decodeIfPresent(String.self, forKey: .activationFunction) ?? "gelu_new"
        scaleAttnWeights = try c.decodeIfPresent(Bool.self, forKey: .scaleAttnWeights) ?? true
        scaleAttnByInverseLayerIdx = try c.decodeIfPresent(Bool.self, forKey: .scaleAttnByInverseLayerIdx) ?? false
        reorderAndUpcastAttn = try c.decodeIfPresent(Bool.self, forKey: .reorderAndUpcastAttn) ?? false
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? true
        bosTokenID = c.contains(.bosTokenID) ? try c.decodeIfPresent(Int.self, forKey: .bosTokenID) : 50256
        eosTokenID = c.contains(.eosTokenID) ? try c.decodeIfPresent(Int.self, forKey: .eosTokenID) : 50256
        try validate()
    }

    /// Writes every key transformers' `GPT2Config` needs, plus `model_type` and `architectures`
    /// so `AutoModelForCausalLM.from_pretrained` picks `GPT2LMHeadModel`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("gpt2", forKey: .modelType)
        try c.encode(["GPT2LMHeadModel"], forKey: .architectures)
        try c.encode(nEmbd, forKey: .nEmbd)
        try c.encode(nLayer, forKey: .nLayer)
        try c.encode(nHead, forKey: .nHead)
        try c.encode(nPositions, forKey: .nPositions)
        try c.encode(nPositions, forKey: .nCtx)
        if let nInner { try c.encode(nInner, forKey: .nInner) } else { try c.encodeNil(forKey: .nInner) }
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode(activationFunction, forKey: .activationFunction)
        try c.encode(scaleAttnWeights, forKey: .scaleAttnWeights)
        try c.encode(scaleAttnByInverseLayerIdx, forKey: .scaleAttnByInverseLayerIdx)
        try c.encode(reorderAndUpcastAttn, forKey: .reorderAndUpcastAttn)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        if let bosTokenID { try c.encode(bosTokenID, forKey: .bosTokenID) } else { try c.encodeNil(forKey: .bosTokenID) }
        if let eosTokenID { try c.encode(eosTokenID, forKey: .eosTokenID) } else { try c.encodeNil(forKey: .eosTokenID) }
    }

    /// The MLP width: `n_inner`, or 4·n_embd when it is null.
    public var mlpWidth: Int { nInner ?? 4 * nEmbd }

    /// The normalised activation (validated on decode).
    public var activation: ActivationFunction { ActivationFunction(huggingFaceName: activationFunction) ?? .geluTanh }

    /// Checks every value the way transformers' `GPT2Config` and model constructor would.
    func validate() throws {
        try ConfigValueError.require(nEmbd, atLeast: 1, key: "n_embd")
        try ConfigValueError.require(nLayer, atLeast: 1, key: "n_layer")
        try ConfigValueError.require(nHead, atLeast: 1, key: "n_head")
        try ConfigValueError.require(nPositions, atLeast: 1, key: "n_positions")
        try ConfigValueError.require(vocabSize, atLeast: 1, key: "vocab_size")
        if let nInner { try ConfigValueError.require(nInner, atLeast: 1, key: "n_inner") }
        guard nEmbd % nHead == 0 else {
            throw ConfigValueError(kind: .invalid, key: "n_head", reason: "n_embd \(nEmbd) is not divisible by n_head \(nHead)")
        }
        guard layerNormEpsilon > 0, layerNormEpsilon.isFinite else {
            throw ConfigValueError(kind: .invalid, key: "layer_norm_epsilon", reason: "must be positive, got \(layerNormEpsilon)")
        }
        guard ActivationFunction(huggingFaceName: activationFunction) != nil else {
            throw ConfigValueError(kind: .activation, key: "activation_function", reason: activationFunction)
        }
    }
}
