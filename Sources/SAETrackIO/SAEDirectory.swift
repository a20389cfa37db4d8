import Foundation
import SAETrackCore

/// Errors raised while reading or writing an SAE directory (``SAEDirectory``).
public enum SAELayoutError: Error, CustomStringConvertible, Equatable {
    /// The path is not a directory.
    case notADirectory(path: String)
    /// Neither `sae_weights.safetensors` (SAELens) nor `sae.safetensors` (sparsify) is present,
    /// or `cfg.json` is missing.
    case missingFile(directory: String, file: String)
    /// `cfg.json` is not valid for the layout.
    case invalidConfig(file: String, reason: String)
    /// Tensors are missing or their shapes disagree with each other or with `cfg.json`; lists every problem.
    case shapeMismatch(directory: String, problems: [String])
    /// The directory is well formed but asks for something SAETrack does not implement (an
    /// architecture, an input normalisation, a reshape); names every such setting.
    case unsupported(directory: String, reasons: [String])

    public var description: String {
        switch self {
        case let .notADirectory(p): return "\(p): not a directory"
        case let .missingFile(d, f): return "\(d): no \(f)"
        case let .invalidConfig(f, r): return "\(f): invalid SAE config: \(r)"
        case let .shapeMismatch(d, problems):
            return "\(d): SAE tensors are inconsistent:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
        case let .unsupported(d, reasons):
            return "\(d): SAE not supported by SAETrack:\n" + reasons.map { "  \($0)" }.joined(separator: "\n")
        }
    }
}

/// The two on-disk SAE layouts SAETrack reads.
public enum SAEDirectoryLayout: String, Sendable {
    /// `cfg.json` + `sae_weights.safetensors`: `W_enc [d_in,d_sae]`, `b_enc [d_sae]`,
    /// `W_dec [d_sae,d_in]`, `b_dec [d_in]` (SAELens, SAE-Track; what SAETrack writes).
    case saeLens
    /// `cfg.json` + `sae.safetensors`: `encoder.weight [d_sae,d_in]`, `encoder.bias [d_sae]`,
    /// `W_dec [d_sae,d_in]`, `b_dec [d_in]` (EleutherAI sparsify).
    case sparsify
}

/// SAE directories in SAELens layout (read and written) and sparsify layout (read).
///
/// Reading identifies each tensor by role and checks its shape against `d_in` (from `b_dec`) and
/// `d_sae` (from the encoder bias) rather than trusting names and orientation: a weight stored
/// transposed (possible when d_in ≠ d_sae, e.g. through converters that transpose `W_dec`) is
/// turned back, and every inconsistency is listed in one error.
public enum SAEDirectory {
    public static let configFile = "cfg.json"
    public static let saeLensWeightsFile = "sae_weights.safetensors"
    public static let sparsifyWeightsFile = "sae.safetensors"

    /// The layout of the directory at `url`, or nil when it holds neither.
    public static func layout(of url: URL) -> SAEDirectoryLayout? {
        let fm = FileManager.default
        if fm.fileExists(atPath: url.appendingPathComponent(saeLensWeightsFile).path) { return .saeLens }
        if fm.fileExists(atPath: url.appendingPathComponent(sparsifyWeightsFile).path) { return .sparsify }
        return nil
    }

    /// The `cfg.json` of an SAE directory of either layout, normalised to ``SAEDirectoryConfig``
    /// (the weights are not read).
    public static func readConfig(_ url: URL) throws -> SAEDirectoryConfig {
        try readLayoutAndConfig(url).config
    }

    private static func readLayoutAndConfig(_ url: URL) throws -> (layout: SAEDirectoryLayout, config: SAEDirectoryConfig) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
            throw SAELayoutError.notADirectory(path: url.path)
        }
        guard let layout = layout(of: url) else {
            throw SAELayoutError.missingFile(directory: url.path, file: "\(saeLensWeightsFile) or \(sparsifyWeightsFile)")
        }
        let cfgURL = url.appendingPathComponent(configFile)
        guard let cfgData = FileManager.default.contents(atPath: cfgURL.path) else {
            throw SAELayoutError.missingFile(directory: url.path, file: configFile)
        }
        var config: SAEDirectoryConfig
        do {
            switch layout {
            case .saeLens:
                config = try JSONDecoder().decode(SAEDirectoryConfig.self, from: cfgData)
            case .sparsify:
                let s = try JSONDecoder().decode(SparsifyConfig.self, from: cfgData)
                guard let dSAE = s.dSAE else {
                    throw SAELayoutError.invalidConfig(file: cfgURL.path, reason: "needs num_latents > 0 or expansion_factor")
                }
                config = SAEDirectoryConfig(dIn: s.dIn, dSAE: dSAE, architecture: s.k == nil ? "standard" : "topk", k: s.k)
                config.applyBDecToInput = !(s.transcode ?? false)      // sparsify transcoders encode x itself
            }
        } catch let e as SAELayoutError {
            throw e
        } catch {
            throw SAELayoutError.invalidConfig(file: cfgURL.path, reason: "\(error)")
        }
        return (layout, config)
    }

    /// Reads an SAE directory of either layout. Tensors come back under SAELens names in SAELens
    /// orientation: `W_enc` (d_in, d_sae), `b_enc` (1, d_sae), `W_dec` (d_sae, d_in), `b_dec`
    /// (1, d_in), plus any other tensors of the file (e.g. `threshold`) as matrices.
    public static func read(_ url: URL) throws -> (tensors: [String: Matrix], config: SAEDirectoryConfig) {
        let (layout, config) = try readLayoutAndConfig(url)
        let file = try SafetensorsFile(contentsOf: url.appendingPathComponent(layout == .saeLens ? saeLensWeightsFile : sparsifyWeightsFile))
        let names: (wEnc: String, bEnc: String, wDec: String, bDec: String) = layout == .saeLens
            ? ("W_enc", "b_enc", "W_dec", "b_dec") : ("encoder.weight", "encoder.bias", "W_dec", "b_dec")
        var problems: [String] = []
        for n in [names.wEnc, names.bEnc, names.wDec, names.bDec] where file.info(n) == nil { problems.append("missing \(n)") }
        guard problems.isEmpty else { throw SAELayoutError.shapeMismatch(directory: url.path, problems: problems) }
        let bEncShape = file.info(names.bEnc)!.shape, bDecShape = file.info(names.bDec)!.shape
        if bEncShape.count != 1 { problems.append("\(names.bEnc) has shape \(bEncShape), expected 1-D [d_sae]") }
        if bDecShape.count != 1 { problems.append("\(names.bDec) has shape \(bDecShape), expected 1-D [d_in]") }
        let dSAE = bEncShape.first ?? 0, dIn = bDecShape.first ?? 0
        if dIn != config.dIn { problems.append("b_dec gives d_in \(dIn) but cfg.json says \(config.dIn)") }
        if dSAE != config.dSAE { problems.append("\(names.bEnc) gives d_sae \(dSAE) but cfg.json says \(config.dSAE)") }
        // Expected stored shapes: SAELens W_enc is [d_in, d_sae]; sparsify's encoder is [d_sae, d_in].
        let encoderShape = layout == .saeLens ? [dIn, dSAE] : [dSAE, dIn]
        /// The stored matrix and whether it has the documented orientation (true when d_in = d_sae).
        func stored(_ name: String, expected: [Int]) throws -> (matrix: Matrix, documented: Bool)? {
            let shape = file.info(name)!.shape
            if shape == expected { return (try file.matrix(name), true) }
            if shape == expected.reversed() { return (try file.matrix(name), false) }
            problems.append("\(name) has shape \(shape), expected \(expected)")
            return nil
        }
        let enc = try stored(names.wEnc, expected: encoderShape)
        let dec = try stored(names.wDec, expected: [dSAE, dIn])
        guard problems.isEmpty, let enc, let dec else {
            throw SAELayoutError.shapeMismatch(directory: url.path, problems: problems)
        }
        // W_enc is (d_in, d_sae): SAELens stores it so, sparsify stores its transpose.
        let encoderIsWEnc = (layout == .saeLens) == enc.documented
        let wEnc = encoderIsWEnc ? enc.matrix : enc.matrix.transposed()
        let wDec = dec.documented ? dec.matrix : dec.matrix.transposed()
        var tensors: [String: Matrix] = [
            "W_enc": wEnc,                                                           // (d_in, d_sae)
            "b_enc": Matrix(rows: 1, cols: dSAE, storage: try file.floats(names.bEnc)),
            "W_dec": wDec,                                                           // (d_sae, d_in)
            "b_dec": Matrix(rows: 1, cols: dIn, storage: try file.floats(names.bDec)),
        ]
        for t in file.tensors where ![names.wEnc, names.bEnc, names.wDec, names.bDec].contains(t.name) {
            tensors[t.name] = try file.matrix(t.name)
        }
        return (tensors, config)
    }

    /// Writes an SAE in SAELens layout, so `sae_lens.SAE.load_from_disk` opens it: F32
    /// `sae_weights.safetensors` and `cfg.json` (with provenance in `metadata`). The directory
    /// appears atomically (written into a hidden sibling, then renamed into place).
    /// - Parameters:
    ///   - wEnc: (d_in, d_sae)
    ///   - bEnc: (d_sae)
    ///   - wDec: (d_sae, d_in)
    ///   - bDec: (d_in)
    ///   - extraTensors: further tensors of the architecture, e.g. JumpReLU's `threshold` (d_sae)
    public static func write(wEnc: Matrix, bEnc: [Float], wDec: Matrix, bDec: [Float], extraTensors: [String: TensorData] = [:],
                             config: SAEDirectoryConfig, to url: URL) throws {
        let (dIn, dSAE) = (wEnc.rows, wEnc.cols)
        var problems: [String] = []
        if wDec.rows != dSAE || wDec.cols != dIn { problems.append("W_dec is [\(wDec.rows), \(wDec.cols)], expected [\(dSAE), \(dIn)]") }
        if bEnc.count != dSAE { problems.append("b_enc has \(bEnc.count) elements, expected \(dSAE)") }
        if bDec.count != dIn { problems.append("b_dec has \(bDec.count) elements, expected \(dIn)") }
        if config.dIn != dIn || config.dSAE != dSAE {
            problems.append("config says d_in \(config.dIn), d_sae \(config.dSAE) but W_enc is [\(dIn), \(dSAE)]")
        }
        if config.architecture == "topk" && config.k == nil { problems.append("topk config without k") }
        if config.architecture == "jumprelu" && extraTensors["threshold"]?.shape != [dSAE] {
            problems.append("jumprelu SAE without a threshold tensor of shape [\(dSAE)]")
        }
        for name in extraTensors.keys where ["W_enc", "b_enc", "W_dec", "b_dec"].contains(name) {
            problems.append("extra tensor \(name) would replace a weight")
        }
        guard problems.isEmpty else { throw SAELayoutError.shapeMismatch(directory: url.path, problems: problems) }
        let tensors: [String: TensorData] = extraTensors.merging([
            "W_enc": TensorData(wEnc),                                   // (d_in, d_sae)
            "b_enc": TensorData(shape: [dSAE], floats: bEnc),
            "W_dec": TensorData(wDec),                                   // (d_sae, d_in)
            "b_dec": TensorData(shape: [dIn], floats: bDec),
        ]) { extra, _ in extra }
        let cfg = try JSONFile.encode(config)
        try DirectoryReplacement.replace(url) { tmp in
            try SafetensorsWriter.write(tensors, to: tmp.appendingPathComponent(saeLensWeightsFile))
            try AtomicFile.write(cfg, to: tmp.appendingPathComponent(configFile))
        }
    }
}
