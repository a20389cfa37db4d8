import Foundation
import SAETrackCore
import SAETrackIO

/// SAE directories (SAELens layout, Docs/Formats.md *SAE directories*) through SAETrackIO's ``SAEDirectory``:
/// `cfg.json` + `sae_weights.safetensors` with `W_enc [d_in,d_sae]`, `b_enc`, `W_dec [d_sae,d_in]`,
/// `b_dec` (+ `threshold [d_sae]` for JumpReLU); sparsify directories are read too.
///
/// `cfg.json` maps onto the SAE's semantics as SAELens 6.54.12 interprets it:
///
/// | cfg.json | SparseAutoencoder |
/// |---|---|
/// | `architecture: "standard"` | `activation = .relu` |
/// | `architecture: "topk"`, `k`, `rescale_acts_by_decoder_norm` | `.topK(k)`, `rescalesActsByDecoderNorm` |
/// | `architecture: "jumprelu"` + tensor `threshold` | `.jumpReLU(threshold:)` (also BatchTopK / Matryoshka SAEs SAELens saved for inference) |
/// | `apply_b_dec_to_input` | `appliesBDecToInput` |
/// | `normalize_activations: none / constant_norm_rescale / layer_norm` | `inputNormalization` |
///
/// Everything else is refused by name (``SAELayoutError/unsupported(directory:reasons:)``): other
/// architectures (gated, abstopk, transcoders, temporal, matching pursuit, and SAELens's training
/// checkpoints `batchtopk` / `matryoshka_batchtopk`), `expected_average_only_in` and
/// `covariance_whitening` (their statistics are not in the directory), `reshape_activations:
/// hook_z`, and tensors the architecture does not have.
extension SparseAutoencoder {
    /// Reads an SAE directory (SAELens or sparsify layout) with its semantics.
    public static func load(from directory: URL) throws -> SparseAutoencoder {
        try loadWithConfig(from: directory).sae
    }

    /// ``load(from:)`` plus the directory's `cfg.json` as read (provenance, SAELens versions).
    public static func loadWithConfig(from directory: URL) throws -> (sae: SparseAutoencoder, config: SAEDirectoryConfig) {
        // Settings first: a refused architecture is named even when its tensors differ (gated SAEs have no b_enc).
        let unsupported = unsupportedSettings(try SAEDirectory.readConfig(directory))
        if !unsupported.isEmpty { throw SAELayoutError.unsupported(directory: directory.path, reasons: unsupported) }
        let (t, config) = try SAEDirectory.read(directory)
        return (try SparseAutoencoder(tensors: t, config: config, directory: directory.path), config)
    }

    /// The SAE that `tensors` and `config` (from `SAEDirectory.read(_:)`) describe, or every
    /// reason it is not supported.
    public init(tensors t: [String: Matrix], config: SAEDirectoryConfig, directory: String) throws {
        let (dIn, dSAE) = (config.dIn, config.dSAE)
        var reasons: [String] = []
        var extra = Set(t.keys).subtracting(["W_enc", "b_enc", "W_dec", "b_dec"])
        var activation = SAEActivation.relu
        var rescale = false
        switch config.architecture {
        case "standard":
            break
        case "topk":
            if let k = config.k, k >= 1, k <= dSAE { activation = .topK(k) } else {
                reasons.append("topk SAE needs k in 1...\(dSAE) (cfg.json k: \(config.k.map(String.init) ?? "missing"))")
            }
            rescale = config.rescaleActsByDecoderNorm ?? false
        case "jumprelu":
            if let th = t["threshold"], th.count == dSAE { activation = .jumpReLU(threshold: th.storage) } else {
                reasons.append("jumprelu SAE needs a threshold tensor of \(dSAE) elements"
                               + (t["threshold"].map { " (it has \($0.count))" } ?? " (none in the file)"))
            }
            extra.remove("threshold")
        default:
            break                                                   // named by unsupportedSettings
        }
        reasons += Self.unsupportedSettings(config)
        let normalization = SAEInputNormalization(rawValue: config.normalizeActivations)
        if !extra.isEmpty && reasons.isEmpty {
            reasons.append("tensors a \(config.architecture) SAE does not have: \(extra.sorted().joined(separator: ", "))")
        }
        guard reasons.isEmpty, let wEnc = t["W_enc"], let bEnc = t["b_enc"], let wDec = t["W_dec"], let bDec = t["b_dec"],
              wEnc.rows == dIn, wEnc.cols == dSAE else {
            throw SAELayoutError.unsupported(directory: directory, reasons: reasons.isEmpty ? ["weights missing"] : reasons)
        }
        self.init(wEnc: wEnc, bEnc: bEnc.storage, wDec: wDec, bDec: bDec.storage, activation: activation,
                  appliesBDecToInput: config.applyBDecToInput, inputNormalization: normalization!,
                  rescalesActsByDecoderNorm: rescale)
    }

    /// Every `cfg.json` setting SAETrack does not implement (architecture, input normalisation,
    /// reshape), each named; empty when the config is supported.
    public static func unsupportedSettings(_ config: SAEDirectoryConfig) -> [String] {
        var reasons: [String] = []
        switch config.architecture {
        case "standard", "topk", "jumprelu": break
        case "batchtopk", "matryoshka_batchtopk":
            reasons.append("architecture \"\(config.architecture)\" is SAELens's training checkpoint; its inference form is a "
                           + "jumprelu SAE (TrainingSAE.save_inference_model), which loads here")
        default:
            reasons.append("architecture \"\(config.architecture)\" is not implemented (supported: standard, topk, jumprelu)")
        }
        switch config.normalizeActivations {
        case _ where SAEInputNormalization(rawValue: config.normalizeActivations) != nil: break
        case "expected_average_only_in":
            reasons.append("normalize_activations \"expected_average_only_in\" needs the dataset's norm scaling factor, "
                           + "which the directory does not hold (SAELens folds it into the weights when it saves)")
        case "covariance_whitening":
            reasons.append("normalize_activations \"covariance_whitening\" needs whitening statistics the directory does not "
                           + "hold (SAELens folds them into the weights when it saves)")
        default:
            reasons.append("normalize_activations \"\(config.normalizeActivations)\" is not implemented "
                           + "(supported: none, constant_norm_rescale, layer_norm)")
        }
        if config.reshapeActivations != "none" {
            reasons.append("reshape_activations \"\(config.reshapeActivations)\" is not implemented (SAETrack encodes flat rows)")
        }
        return reasons
    }

    /// The `cfg.json` describing this SAE (architecture, k, rescale, b_dec on input, normalisation)
    /// with `provenance` in `metadata`.
    public func directoryConfig(provenance: SAEProvenance = SAEProvenance()) -> SAEDirectoryConfig {
        var c = SAEDirectoryConfig(dIn: dIn, dSAE: dSAE, architecture: activation.saeLensArchitecture, k: activation.k,
                                   provenance: provenance)
        c.rescaleActsByDecoderNorm = activation.k != nil ? rescalesActsByDecoderNorm : nil
        c.applyBDecToInput = appliesBDecToInput
        c.normalizeActivations = inputNormalization.rawValue
        return c
    }

    /// Writes the SAE in SAELens layout, so `sae_lens.SAE.load_from_disk` opens it as the same
    /// architecture and encodes identically; the directory is replaced atomically.
    public func save(to directory: URL, provenance: SAEProvenance = SAEProvenance()) throws {
        var extra: [String: TensorData] = [:]
        if let th = activation.threshold { extra["threshold"] = TensorData(shape: [dSAE], floats: th) }
        try SAEDirectory.write(wEnc: wEnc, bEnc: bEnc, wDec: wDec, bDec: bDec, extraTensors: extra,
                               config: directoryConfig(provenance: provenance), to: directory)
    }
}
