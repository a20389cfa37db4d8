/// Where an SAE came from, stored in `cfg.json`'s `metadata` object (SAELens keeps unknown keys
/// there, so `SAE.load_from_disk` still opens the directory). Every field is optional on read.
public struct SAEProvenance: Codable, Equatable, Sendable {
    /// The language model (SAELens key `model_name`).
    public var modelName: String?
    /// TransformerLens-style hook, e.g. `blocks.3.hook_resid_pre` (SAELens key `hook_name`).
    public var hookName: String?
    /// Training step of the LM checkpoint the SAE was trained on.
    public var checkpointStep: Int?
    /// Whether activations were centred per token over d_model (TransformerLens
    /// `center_writing_weights` equivalent).
    public var centered: Bool?
    /// SHA-256 of the LM checkpoint's weights (``ModelDirectory/weightsSHA256()``).
    public var lmWeightsSHA256: String?
    /// The checkpoint step whose SAE this one was warm-started from, if any.
    public var warmStartedFrom: Int?
    /// Tokens per context (SAELens key `context_size`).
    public var contextSize: Int?
    /// Whether a BOS token was prepended (SAELens key `prepend_bos`).
    public var prependBOS: Bool?
    /// SAELens version fields, kept when reading SAELens-written directories.
    public var saeLensVersion: String?
    public var saeLensTrainingVersion: String?

    enum CodingKeys: String, CodingKey {
        case modelName = "model_name", hookName = "hook_name", checkpointStep = "checkpoint_step", centered
        case lmWeightsSHA256 = "lm_weights_sha256", warmStartedFrom = "warm_started_from"
        case contextSize = "context_size", prependBOS = "prepend_bos"
        case saeLensVersion = "sae_lens_version", saeLensTrainingVersion = "sae_lens_training_version"
    }

    public init(modelName: String? = nil, hookName: String? = nil, checkpointStep: Int? = nil, centered: Bool? = nil,
                lmWeightsSHA256: String? = nil, warmStartedFrom: Int? = nil, contextSize: Int? = nil, prependBOS: Bool? = nil) {
        self.modelName = modelName; self.hookName = hookName; self.checkpointStep = checkpointStep
        self.centered = centered; self.lmWeightsSHA256 = lmWeightsSHA256; self.warmStartedFrom = warmStartedFrom
        self.contextSize = contextSize; self.prependBOS = prependBOS
    }
}

/// An SAE directory's `cfg.json` in SAELens form (the fields `SAE.load_from_disk` reads), plus
/// provenance in `metadata`. Reading also accepts sparsify's `cfg.json` (`d_in`, `num_latents`
/// or `expansion_factor`, `k`), see ``SAEDirectory``.
public struct SAEDirectoryConfig: Codable, Equatable, Sendable {
    /// Input width (`d_in`).
    public var dIn: Int
    /// Number of features (`d_sae`).
    public var dSAE: Int
    /// SAELens architecture: `"standard"` (ReLU), `"topk"` and `"jumprelu"` are written; any name
    /// is read (SAETrackSAE maps it onto an activation or refuses it by name).
    public var architecture: String
    /// Active features per token for `topk`.
    public var k: Int?
    /// SAELens `rescale_acts_by_decoder_norm` (topk only).
    public var rescaleActsByDecoderNorm: Bool?
    /// Storage dtype name (`"float32"`).
    public var dtype: String
    /// SAELens device (`"cpu"`).
    public var device: String
    /// Subtract `b_dec` from the input before encoding (SAELens default true).
    public var applyBDecToInput: Bool
    /// SAELens `normalize_activations`: `"none"`, `"constant_norm_rescale"`, `"layer_norm"` (applied
    /// per row at encode time), or modes SAETrackSAE refuses by name.
    public var normalizeActivations: String
    /// SAELens `reshape_activations` (`"none"`).
    public var reshapeActivations: String
    /// Provenance (`metadata`).
    public var provenance: SAEProvenance

    enum CodingKeys: String, CodingKey {
        case dIn = "d_in", dSAE = "d_sae", architecture, k, rescaleActsByDecoderNorm = "rescale_acts_by_decoder_norm"
        case dtype, device, applyBDecToInput = "apply_b_dec_to_input", normalizeActivations = "normalize_activations"
        case reshapeActivations = "reshape_activations", provenance = "metadata"
        // SAELens ≤ 5 kept these at the top level.
        case modelName = "model_name", hookName = "hook_name", contextSize = "context_size", prependBOS = "prepend_bos"
    }

    /// The SAELens version whose `cfg.json` format SAETrack writes (and was verified against).
    /// SAELens treats a `cfg.json` without `metadata.sae_lens_version` as pre-6.0 and rebuilds
    /// `metadata` from top-level keys, dropping provenance, so it is always written.
    public static let saeLensFormatVersion = "6.54.12"

    /// A config for an SAE SAETrack trained (`metadata.sae_lens_version` set to
    /// ``saeLensFormatVersion`` unless the provenance has one).
    public init(dIn: Int, dSAE: Int, architecture: String = "standard", k: Int? = nil, provenance: SAEProvenance = SAEProvenance()) {
        var provenance = provenance
        provenance.saeLensVersion = provenance.saeLensVersion ?? Self.saeLensFormatVersion
        self.dIn = dIn; self.dSAE = dSAE; self.architecture = architecture; self.k = k
        self.rescaleActsByDecoderNorm = architecture == "topk" ? false : nil
        self.dtype = "float32"; self.device = "cpu"; self.applyBDecToInput = true
        self.normalizeActivations = "none"; self.reshapeActivations = "none"; self.provenance = provenance
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dIn = try c.decode(Int.self, forKey: .dIn)
        dSAE = try c.decode(Int.self, forKey: .dSAE)
        architecture = try c.decodeIfPresent(String.self, forKey: .architecture) ?? "standard"
        k = try c.decodeIfPresent(Int.self, forKey: .k)
        rescaleActsByDecoderNorm = try c.decodeIfPresent(Bool.self, forKey: .rescaleActsByDecoderNorm)
        dtype = try c.decodeIfPresent(String.self, forKey: .dtype) ?? "float32"
        device = try c.decodeIfPresent(String.self, forKey: .device) ?? "cpu"
        applyBDecToInput = try c.decodeIfPresent(Bool.self, forKey: .applyBDecToInput) ?? true
        normalizeActivations = try c.decodeIfPresent(String.self, forKey: .normalizeActivations) ?? "none"
        reshapeActivations = try c.decodeIfPresent(String.self, forKey: .reshapeActivations) ?? "none"
        var p = try c.decodeIfPresent(SAEProvenance.self, forKey: .provenance) ?? SAEProvenance()
        p.modelName = try p.modelName ?? c.decodeIfPresent(String.self, forKey: .modelName)
        p.hookName = try p.hookName ?? c.decodeIfPresent(String.self, forKey: .hookName)
        p.contextSize = try p.contextSize ?? c.decodeIfPresent(Int.self, forKey: .contextSize)
        p.prependBOS = try p.prependBOS ?? c.decodeIfPresent(Bool.self, forKey: .prependBOS)
        provenance = p
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dIn, forKey: .dIn)
        try c.encode(dSAE, forKey: .dSAE)
        try c.encode(architecture, forKey: .architecture)
        try c.encodeIfPresent(k, forKey: .k)
        try c.encodeIfPresent(rescaleActsByDecoderNorm, forKey: .rescaleActsByDecoderNorm)
        try c.encode(dtype, forKey: .dtype)
        try c.encode(device, forKey: .device)
        try c.encode(applyBDecToInput, forKey: .applyBDecToInput)
        try c.encode(normalizeActivations, forKey: .normalizeActivations)
        try c.encode(reshapeActivations, forKey: .reshapeActivations)
        try c.encode(provenance, forKey: .provenance)
    }
}

/// sparsify's `cfg.json` (`SparseCoderConfig` fields plus `d_in`).
struct SparsifyConfig: Decodable {
    var dIn: Int
    var numLatents: Int?
    var expansionFactor: Int?
    var k: Int?
    /// A transcoder encodes x without subtracting b_dec.
    var transcode: Bool?
    enum CodingKeys: String, CodingKey {
        case dIn = "d_in", numLatents = "num_latents", expansionFactor = "expansion_factor", k, transcode
    }
    /// `num_latents` when positive, else `d_in × expansion_factor`.
    var dSAE: Int? {
        if let n = numLatents, n > 0 { return n }
        return expansionFactor.map { $0 * dIn }
    }
}
