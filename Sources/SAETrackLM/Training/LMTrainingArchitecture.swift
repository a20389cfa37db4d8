/// The shape and wiring of a trainable GPT-NeoX or GPT-2 model, normalised from either family's config.
///
/// Everything the training kernels branch on lives here: which QKV layout and weight orientation the
/// family uses, rotary versus learned positions, parallel versus sequential residual, which GELU, and
/// whether the unembedding is tied to the token embedding.
public struct LMTrainingArchitecture: Codable, Equatable, Sendable {
    /// The model family (decides parameter names, weight orientation and the QKV layout).
    public enum Family: String, Codable, Sendable {
        /// GPT-NeoX / Pythia: `nn.Linear` weights `(out, in)`, per-head interleaved QKV, rotary.
        case gptNeoX = "neox"
        /// GPT-2: `Conv1D` weights `(in, out)`, `[Q | K | V]` QKV, learned positions.
        case gpt2
    }

    /// The MLP non-linearity.
    public enum GELU: String, Codable, Sendable {
        /// `0.5·x·(1 + erf(x/√2))` (HF `"gelu"`, Pythia).
        case erf
        /// `0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))` (HF `"gelu_new"`, GPT-2).
        case tanh
    }

    public var family: Family
    /// Number of transformer blocks L.
    public var layers: Int
    /// Residual width C.
    public var dModel: Int
    /// Attention heads NH; must divide `dModel`.
    public var heads: Int
    /// MLP width M.
    public var dMLP: Int
    /// Vocabulary size V (rows of the embedding and the unembedding).
    public var vocabSize: Int
    /// Maximum positions (GPT-2 `n_positions`, NeoX `max_position_embeddings`); rows may not be longer.
    public var maxPositions: Int
    /// Rotated dimensions per head (NeoX: `int(head_dim · rotary_pct)`; 0 for GPT-2). Must be even.
    public var rotaryDims: Int
    /// Rotary base θ (`rotary_emb_base`).
    public var rotaryBase: Double
    /// NeoX `use_parallel_residual`: `x + attn(ln1(x)) + mlp(ln2(x))`; GPT-2 is always sequential.
    public var parallelResidual: Bool
    /// Which GELU the MLP uses.
    public var gelu: GELU
    /// Whether the unembedding is the token embedding (GPT-2 default) or its own matrix (`embed_out`).
    public var tiedEmbeddings: Bool
    /// Whether the attention projections carry biases (NeoX `attention_bias`; always true for GPT-2).
    public var attentionBias: Bool
    /// GPT-2 `scale_attn_by_inverse_layer_idx`: layer i's scores are further divided by i + 1.
    public var scaleAttentionByInverseLayerIndex: Bool
    /// LayerNorm epsilon.
    public var layerNormEpsilon: Float
    /// Standard deviation of the HF initialisation (`initializer_range`).
    public var initializerRange: Float
    /// Beginning/end-of-sequence token written to config.json.
    public var bosTokenID: Int?
    public var eosTokenID: Int?

    /// Per-head width C / NH.
    public var headDim: Int { dModel / heads }

    /// The demo model of `saetrack demo`: GPT-NeoX, 4 layers, d_model 128, 4 heads, MLP 512,
    /// rotary 0.25, context 128, with the vocabulary size of the token file.
    public static func demo(vocabSize: Int) -> Self {
        gptNeoX(layers: 4, dModel: 128, heads: 4, dMLP: 512, vocabSize: vocabSize, maxPositions: 128)
    }

    /// A GPT-NeoX architecture with Pythia's defaults (parallel residual, erf GELU, untied head).
    public static func gptNeoX(
        layers: Int, dModel: Int, heads: Int, dMLP: Int, vocabSize: Int, maxPositions: Int,
        rotaryPct: Double = 0.25, rotaryBase: Double = 10_000, parallelResidual: Bool = true,
        tiedEmbeddings: Bool = false, layerNormEpsilon: Float = 1e-5, initializerRange: Float = 0.02,
        bosTokenID: Int? = 0, eosTokenID: Int? = 0
    ) -> Self {
        let headDim = dModel / max(heads, 1)
        return Self(family: .gptNeoX, layers: layers, dModel: dModel, heads: heads, dMLP: dMLP,
                    vocabSize: vocabSize, maxPositions: maxPositions,
                    rotaryDims: Int(Double(headDim) * rotaryPct), rotaryBase: rotaryBase,
                    parallelResidual: parallelResidual, gelu: .erf, tiedEmbeddings: tiedEmbeddings,
                    attentionBias: true, scaleAttentionByInverseLayerIndex: false,
                    layerNormEpsilon: layerNormEpsilon, initializerRange: initializerRange,
                    bosTokenID: bosTokenID, eosTokenID: eosTokenID)
    }

    /// A GPT-2 architecture with HF's defaults (tanh GELU, tied head, learned positions).
    public static func gpt2(
        layers: Int, dModel: Int, heads: Int, dMLP: Int, vocabSize: Int, maxPositions: Int,
        layerNormEpsilon: Float = 1e-5, initializerRange: Float = 0.02,
        bosTokenID: Int? = 0, eosTokenID: Int? = 0
    ) -> Self {
        Self(family: .gpt2, layers: layers, dModel: dModel, heads: heads, dMLP: dMLP,
             vocabSize: vocabSize, maxPositions: maxPositions, rotaryDims: 0, rotaryBase: 10_000,
             parallelResidual: false, gelu: .tanh, tiedEmbeddings: true, attentionBias: true,
             scaleAttentionByInverseLayerIndex: false, layerNormEpsilon: layerNormEpsilon,
             initializerRange: initializerRange, bosTokenID: bosTokenID, eosTokenID: eosTokenID)
    }

    /// Throws when the shape cannot be trained (heads not dividing C, odd rotary dims, …).
    public func validate() throws {
        func bad(_ reason: String) -> LMTrainingError { .invalidArchitecture(reason) }
        guard layers >= 1, dModel >= 1, heads >= 1, dMLP >= 1, vocabSize >= 1, maxPositions >= 1 else {
            throw bad("every size must be at least 1 (layers \(layers), d_model \(dModel), heads \(heads), d_mlp \(dMLP), vocab \(vocabSize), positions \(maxPositions))")
        }
        guard dModel % heads == 0 else { throw bad("d_model \(dModel) is not divisible by heads \(heads)") }
        guard rotaryDims >= 0, rotaryDims <= headDim, rotaryDims % 2 == 0 else {
            throw bad("rotary dims \(rotaryDims) must be even and at most head_dim \(headDim)")
        }
        guard family == .gptNeoX || (rotaryDims == 0 && !parallelResidual) else {
            throw bad("GPT-2 has no rotary embedding and no parallel residual")
        }
        guard family == .gptNeoX || attentionBias else { throw bad("GPT-2 attention always has biases") }
        guard layerNormEpsilon > 0, initializerRange >= 0 else {
            throw bad("layer-norm epsilon must be positive and initializer range non-negative")
        }
    }
}
