import Foundation
import SAETrackCore
import SAETrackIO

/// What is written to an SAE directory's `cfg.json` besides the tensors (SAELens layout,
/// references.md §A.1/§A.7): the SAELens config fields, and provenance under `metadata`.
public struct SAEDirectoryInfo: Sendable, Equatable {
    public var architecture: SAEArchitecture = .standard
    /// TopK's k (written only for `topk`).
    public var k: Int?
    public var modelName: String = ""
    public var hookName: String = ""
    public var contextSize: Int?
    public var prependBOS: Bool = true
    /// Provenance strings (checkpoint step, centring, sha256 of the LM weights, trainer config, …),
    /// stored in `cfg.json` → `metadata`.
    public var provenance: [String: String] = [:]
    public init() {}
}

/// Errors reading an SAE directory.
public enum SAEDirectoryError: Error, CustomStringConvertible, Equatable {
    case missingFile(URL)
    case badConfig(URL, String)
    case badTensors(URL, [String])

    public var description: String {
        switch self {
        case .missingFile(let url): return "\(url.path): missing (an SAE directory holds cfg.json and sae_weights.safetensors)"
        case .badConfig(let url, let why): return "\(url.path): \(why)"
        case .badTensors(let url, let problems):
            return "\(url.path) does not match cfg.json:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
        }
    }
}

extension SparseAutoencoder {
    /// Reads an SAELens-layout directory: `cfg.json` (d_in, d_sae) and `sae_weights.safetensors`
    /// (`W_enc [d_in,d_sae]`, `b_enc [d_sae]`, `W_dec [d_sae,d_in]`, `b_dec [d_in]`, any float dtype).
    public static func load(from directory: URL) throws -> SparseAutoencoder {
        try loadWithInfo(from: directory).sae
    }

    /// ``load(from:)`` plus the architecture, k and metadata of `cfg.json`.
    public static func loadWithInfo(from directory: URL) throws -> (sae: SparseAutoencoder, info: SAEDirectoryInfo) {
        let cfgURL = directory.appendingPathComponent("cfg.json")
        let weightsURL = directory.appendingPathComponent("sae_weights.safetensors")
        for url in [cfgURL, weightsURL] where !FileManager.default.fileExists(atPath: url.path) {
            throw SAEDirectoryError.missingFile(url)
        }
        guard let cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: cfgURL)) as? [String: Any] else {
            throw SAEDirectoryError.badConfig(cfgURL, "not a JSON object")
        }
        guard let dIn = cfg["d_in"] as? Int, let dSAE = cfg["d_sae"] as? Int else {
            throw SAEDirectoryError.badConfig(cfgURL, "d_in and d_sae must be integers")
        }
        var info = SAEDirectoryInfo()
        let arch = cfg["architecture"] as? String ?? "standard"
        guard let a = SAEArchitecture(rawValue: arch) else {
            throw SAEDirectoryError.badConfig(cfgURL, "architecture '\(arch)' is not supported (standard, topk)")
        }
        info.architecture = a
        info.k = cfg["k"] as? Int
        if let meta = cfg["metadata"] as? [String: Any] {
            info.modelName = meta["model_name"] as? String ?? ""
            info.hookName = meta["hook_name"] as? String ?? ""
            info.contextSize = meta["context_size"] as? Int
            info.prependBOS = meta["prepend_bos"] as? Bool ?? true
            let reserved = ["model_name", "hook_name", "context_size", "prepend_bos", "saetrack_version",
                            "sae_lens_version", "sae_lens_training_version"]
            for (k, v) in meta where !reserved.contains(k) {
                if let s = v as? String { info.provenance[k] = s }
            }
        }
        let file = try SafetensorsFile(contentsOf: weightsURL)
        let expected = [("W_enc", [dIn, dSAE]), ("b_enc", [dSAE]), ("W_dec", [dSAE, dIn]), ("b_dec", [dIn])]
        var problems: [String] = []
        for (name, shape) in expected {
            guard let t = file.info(name) else { problems.append("missing: \(name)"); continue }
            if t.shape != shape { problems.append("wrong shape: \(name) is \(t.shape), expected \(shape)") }
        }
        guard problems.isEmpty else { throw SAEDirectoryError.badTensors(weightsURL, problems) }
        let sae = SparseAutoencoder(wEnc: Matrix(rows: dIn, cols: dSAE, storage: try file.floats("W_enc")),
                                    bEnc: try file.floats("b_enc"),
                                    wDec: Matrix(rows: dSAE, cols: dIn, storage: try file.floats("W_dec")),
                                    bDec: try file.floats("b_dec"))
        return (sae, info)
    }

    /// Writes an SAELens-layout directory (F32 tensors, `cfg.json` that `sae_lens.SAE.load_from_disk`
    /// opens), each file atomically.
    public func save(to directory: URL, info: SAEDirectoryInfo) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try SafetensorsWriter.write([
            "W_enc": TensorData(wEnc), "b_enc": TensorData(shape: [dSAE], floats: bEnc),
            "W_dec": TensorData(wDec), "b_dec": TensorData(shape: [dIn], floats: bDec),
        ], metadata: info.provenance.isEmpty ? nil : info.provenance,
           to: directory.appendingPathComponent("sae_weights.safetensors"))
        var metadata: [String: Any] = ["model_name": info.modelName, "hook_name": info.hookName,
                                       "prepend_bos": info.prependBOS, "sae_lens_training_version": NSNull(),
                                       "saetrack_version": "1"]
        if let c = info.contextSize { metadata["context_size"] = c }
        for (k, v) in info.provenance { metadata[k] = v }
        var cfg: [String: Any] = [
            "d_in": dIn, "d_sae": dSAE, "dtype": "float32", "device": "cpu", "apply_b_dec_to_input": true,
            "normalize_activations": "none", "reshape_activations": "none",
            "architecture": info.architecture.rawValue, "metadata": metadata,
        ]
        if info.architecture == .topk {
            cfg["k"] = info.k ?? 0
            cfg["rescale_acts_by_decoder_norm"] = false
        }
        let data = try JSONSerialization.data(withJSONObject: cfg, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data, to: directory.appendingPathComponent("cfg.json"))
    }
}
