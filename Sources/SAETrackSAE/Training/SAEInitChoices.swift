import Foundation

/// `--weight-init`: how W_enc and W_dec of a from-scratch SAE are initialised, or `auto`.
public enum SAEWeightInitChoice: String, Codable, CaseIterable, Sendable {
    /// The architecture's default (``SAEInitChoices/automatic(architecture:mseMode:)``).
    case auto
    /// ``SAEWeightInit/saeTrack``: independent Kaiming-uniform W_enc and W_dec, unit decoder rows.
    case saeTrack = "sae-track"
    /// ``SAEWeightInit/tied``: SAELens's tied initialisation.
    case saelens
}

/// `--b-dec-init`: how `b_dec` of a from-scratch SAE is initialised, or `auto`.
public enum SAEBDecInitChoice: String, Codable, CaseIterable, Sendable {
    /// The architecture's default (``SAEInitChoices/automatic(architecture:mseMode:)``).
    case auto
    /// ``SAEBDecInit/geometricMedian`` (SAE-Track).
    case geometricMedian = "geometric-median"
    /// ``SAEBDecInit/mean``.
    case mean
    /// ``SAEBDecInit/zeros`` (SAELens).
    case zeros
}

/// `--clip-grad-norm`: the total gradient norm each step is clipped to, none, or `auto`.
/// Written and parsed as `auto`, `none` or a positive number.
public enum SAEClipGradNormChoice: Codable, Equatable, Sendable, CustomStringConvertible {
    /// The architecture's default (``SAEInitChoices/automatic(architecture:mseMode:)``).
    case auto
    /// No clipping (SAE-Track).
    case none
    /// Clip to this norm (SAELens's trainer: 1). Not checked here: ``SAETrainingConfig/validate()``
    /// refuses a norm that is not positive.
    case norm(Float)

    /// Parses `auto`, `none` or a number; nil for anything else.
    public init?(text: String) {
        switch text.lowercased() {
        case "auto": self = .auto
        case "none", "off": self = .none
        default:
            guard let v = Float(text) else { return nil }
            self = .norm(v)
        }
    }

    /// `auto`, `none` or the norm.
    public var description: String {
        switch self {
        case .auto: return "auto"
        case .none: return "none"
        case .norm(let v): return "\(v)"
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Float.self) { self = .norm(v); return }
        let text = try c.decode(String.self)
        guard let v = SAEClipGradNormChoice(text: text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "clip_grad_norm must be auto, none or a number (got \(text))")
        }
        self = v
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .norm(let v): try c.encode(v)
        default: try c.encode(description)
        }
    }
}

/// A from-scratch SAE's initialisation and the gradient clipping of its training as asked for —
/// each `auto` (the architecture's default) or explicit — as `train-sae`, `track` and a track's
/// settings carry them. ``apply(to:)`` resolves them, in this one place, into the concrete
/// ``SAETrainingConfig`` fields that the trainer uses and that run directories record.
///
/// `auto` follows the dictionary-recovery comparison against SAELens (Docs/TrainingQuality.md):
/// - `jumprelu`, and `standard` with SAELens's loss (``SAEMSEMode/saeLens``): SAELens's trainer —
///   tied initialisation, `b_dec` = 0, total gradient norm clipped to 1;
/// - `standard` with SAE-Track's loss (the paper's ReLU recipe) and the TopK family (`topk`,
///   `batchtopk`, `matryoshka`): SAE-Track's — Kaiming-uniform, geometric-median `b_dec`, no clipping.
public struct SAEInitChoices: Codable, Equatable, Sendable {
    /// `--weight-init` (default auto).
    public var weightInit: SAEWeightInitChoice = .auto
    /// `--b-dec-init` (default auto).
    public var bDecInit: SAEBDecInitChoice = .auto
    /// `--clip-grad-norm` (default auto).
    public var clipGradNorm: SAEClipGradNormChoice = .auto
    /// `--decoder-init-norm`: decoder row norm of the tied initialisation (SAELens `decoder_init_norm`, 0.1).
    public var decoderInitNorm: Float = 0.1

    /// Everything `auto`.
    public init() {}

    /// The same choices with the given values.
    public init(weightInit: SAEWeightInitChoice = .auto, bDecInit: SAEBDecInitChoice = .auto,
                clipGradNorm: SAEClipGradNormChoice = .auto, decoderInitNorm: Float = 0.1) {
        self.weightInit = weightInit; self.bDecInit = bDecInit
        self.clipGradNorm = clipGradNorm; self.decoderInitNorm = decoderInitNorm
    }

    enum CodingKeys: String, CodingKey {
        case weightInit = "weight_init", bDecInit = "b_dec_init_method", clipGradNorm = "clip_grad_norm"
        case decoderInitNorm = "decoder_init_norm"
    }

    /// The concrete values the choices stand for.
    public struct Resolved: Equatable, Sendable {
        public var weightInit: SAEWeightInit
        public var bDecInit: SAEBDecInit
        /// nil: no clipping.
        public var clipGradNorm: Float?

        public init(weightInit: SAEWeightInit, bDecInit: SAEBDecInit, clipGradNorm: Float?) {
            self.weightInit = weightInit; self.bDecInit = bDecInit; self.clipGradNorm = clipGradNorm
        }

        /// One line for a run's log, e.g. `weight init tied, b_dec zeros, clip grad norm 1.0`.
        public var summary: String {
            "weight init \(weightInit.rawValue), b_dec \(bDecInit.rawValue), clip grad norm " + (clipGradNorm.map { "\($0)" } ?? "none")
        }

        /// SAE-Track's: Kaiming-uniform, geometric-median `b_dec`, no clipping.
        public static let saeTrack = Resolved(weightInit: .saeTrack, bDecInit: .geometricMedian, clipGradNorm: nil)
        /// SAELens's trainer: tied, `b_dec` = 0, clipped to 1.
        public static let saeLens = Resolved(weightInit: .tied, bDecInit: .zeros, clipGradNorm: 1)
    }

    /// What `auto` stands for with this architecture and loss form (see the type's documentation).
    public static func automatic(architecture: SAEArchitecture, mseMode: SAEMSEMode) -> Resolved {
        switch architecture {
        case .jumprelu: return .saeLens
        case .standard: return mseMode == .saeLens ? .saeLens : .saeTrack
        case .topk, .batchtopk, .matryoshka: return .saeTrack
        }
    }

    /// The choices with `auto` resolved for this architecture and loss form.
    public func resolved(architecture: SAEArchitecture, mseMode: SAEMSEMode) -> Resolved {
        let auto = Self.automatic(architecture: architecture, mseMode: mseMode)
        let w: SAEWeightInit
        switch weightInit {
        case .auto: w = auto.weightInit
        case .saeTrack: w = .saeTrack
        case .saelens: w = .tied
        }
        let b: SAEBDecInit
        switch bDecInit {
        case .auto: b = auto.bDecInit
        case .geometricMedian: b = .geometricMedian
        case .mean: b = .mean
        case .zeros: b = .zeros
        }
        let c: Float?
        switch clipGradNorm {
        case .auto: c = auto.clipGradNorm
        case .none: c = nil
        case .norm(let v): c = v
        }
        return Resolved(weightInit: w, bDecInit: b, clipGradNorm: c)
    }

    /// The choices resolved for `config`'s architecture and loss form.
    public func resolved(for config: SAETrainingConfig) -> Resolved {
        resolved(architecture: config.architecture, mseMode: config.mseMode)
    }

    /// Sets `config`'s `weightInit`, `bDecInit`, `clipGradNorm` and `decoderInitNorm`, resolving
    /// `auto` for its architecture and loss form — so set those first.
    public func apply(to config: inout SAETrainingConfig) {
        let r = resolved(for: config)
        config.weightInit = r.weightInit
        config.bDecInit = r.bDecInit
        config.clipGradNorm = r.clipGradNorm
        config.decoderInitNorm = decoderInitNorm
    }
}
