import Foundation
import SAETrackCore
import SAETrackIO
import SAETrackSAE

/// Reads and writes the track's SAEs in SAELens layout (`cfg.json` + `sae_weights.safetensors`
/// with `W_enc [d_in,d_sae]`, `b_enc`, `W_dec [d_sae,d_in]`, `b_dec`), so
/// `sae_lens.SAE.load_from_disk` opens every SAE of a chain. Provenance (checkpoint step, hook,
/// centring, warm-start parent, weights SHA-256) goes in `cfg.json`'s `metadata`.
public enum TrackSAEFiles {
    public static let weightsFile = "sae_weights.safetensors"
    public static let configFile = "cfg.json"

    /// Provenance written into `cfg.json`.
    public struct Provenance: Codable, Equatable, Sendable {
        public var modelName: String
        public var hookName: String
        public var checkpointStep: Int
        public var centered: Bool
        public var warmStartedFrom: Int?
        public var weightsSHA256: String?
        enum CodingKeys: String, CodingKey {
            case modelName = "model_name", hookName = "hook_name", checkpointStep = "checkpoint_step"
            case centered, warmStartedFrom = "warm_started_from", weightsSHA256 = "lm_weights_sha256"
        }
        public init(modelName: String, hookName: String, checkpointStep: Int, centered: Bool,
                    warmStartedFrom: Int?, weightsSHA256: String?) {
            self.modelName = modelName; self.hookName = hookName; self.checkpointStep = checkpointStep
            self.centered = centered; self.warmStartedFrom = warmStartedFrom; self.weightsSHA256 = weightsSHA256
        }
    }

    private struct SAELensConfig: Codable {
        var architecture = "standard"
        var dIn: Int
        var dSAE: Int
        var dtype = "float32"
        var device = "cpu"
        var applyBDecToInput = true
        var normalizeActivations = "none"
        var reshapeActivations = "none"
        var metadata: Provenance
        enum CodingKeys: String, CodingKey {
            case architecture, dtype, device, metadata
            case dIn = "d_in", dSAE = "d_sae", applyBDecToInput = "apply_b_dec_to_input"
            case normalizeActivations = "normalize_activations", reshapeActivations = "reshape_activations"
        }
    }

    /// Writes `sae` into `directory` (each file atomically; weights first, so a present `cfg.json`
    /// implies complete weights).
    public static func write(_ sae: SparseAutoencoder, provenance: Provenance, to directory: URL) throws {
        let tensors: [String: TensorData] = [
            "W_enc": TensorData(sae.wEnc),                                   // (d_in, d_sae)
            "b_enc": TensorData(shape: [sae.dSAE], floats: sae.bEnc),
            "W_dec": TensorData(sae.wDec),                                   // (d_sae, d_in)
            "b_dec": TensorData(shape: [sae.dIn], floats: sae.bDec),
        ]
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: directory.appendingPathComponent(weightsFile))
        let cfg = SAELensConfig(dIn: sae.dIn, dSAE: sae.dSAE, metadata: provenance)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(cfg), to: directory.appendingPathComponent(configFile))
    }

    /// Whether `directory` holds a complete SAE.
    public static func exists(at directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(configFile).path)
            && FileManager.default.fileExists(atPath: directory.appendingPathComponent(weightsFile).path)
    }

    /// Reads an SAE written by `write` (or by SAELens).
    public static func read(from directory: URL) throws -> SparseAutoencoder {
        let file = try SafetensorsFile(contentsOf: directory.appendingPathComponent(weightsFile))
        let wEnc = try file.matrix("W_enc"), wDec = try file.matrix("W_dec")
        let bEnc = try file.floats("b_enc"), bDec = try file.floats("b_dec")
        guard wEnc.cols == wDec.rows, wEnc.rows == wDec.cols, bEnc.count == wEnc.cols, bDec.count == wEnc.rows else {
            throw TrackError.shapeMismatch("\(directory.path): W_enc \(wEnc.rows)×\(wEnc.cols), W_dec \(wDec.rows)×\(wDec.cols), b_enc \(bEnc.count), b_dec \(bDec.count)")
        }
        return SparseAutoencoder(wEnc: wEnc, bEnc: bEnc, wDec: wDec, bDec: bDec)
    }
}
