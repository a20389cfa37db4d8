import Foundation
import SAETrackCore
import SAETrackIO
@testable import SAETrackLM

/// One debug state written by Tests/Fixtures/train/generate.py (transformers + torch autograd).
struct TrainingFixture {
    let file: SafetensorsFile
    let config: ModelConfig
    let training: [String: Any]
    let tokens: [Int32]             // (B, T)
    let batch: Int, context: Int

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/train")

    init(_ name: String) throws {
        file = try SafetensorsFile(contentsOf: Self.directory.appendingPathComponent("\(name).safetensors"))
        training = try JSONSerialization.jsonObject(with: Data(file.metadata["training"]!.utf8)) as! [String: Any]
        config = try ModelConfig.decode(Data(file.metadata["config"]!.utf8), file: "\(name).safetensors")
        let shape = file.info("tokens")!.shape
        (batch, context) = (shape[0], shape[1])
        tokens = try file.int32s("tokens")
    }

    /// Tensors under `prefix` ("param." or "grad.") by HF name, 1-D as one-row matrices.
    func tensors(_ prefix: String) throws -> [String: Matrix] {
        var out: [String: Matrix] = [:]
        for info in file.tensors where info.name.hasPrefix(prefix) {
            let shape = info.shape
            let floats = try file.floats(info.name)
            out[String(info.name.dropFirst(prefix.count))] = Matrix(
                rows: shape.count == 1 ? 1 : shape[0], cols: shape.last!, storage: floats)
        }
        return out
    }

    func model() throws -> TransformerModel {
        try TransformerModel(config: config, weights: tensors("param."))
    }
}

/// max |a − b| / max |b| over a tensor (norm-wise relative error, safe for near-zero entries).
func maxRelativeError(_ a: some Collection<Float>, _ b: some Collection<Float>) -> Float {
    var diff: Float = 0, scale: Float = 0
    for (x, y) in zip(a, b) {
        diff = max(diff, abs(x - y))
        scale = max(scale, abs(y))
    }
    return diff / max(scale, 1e-30)
}
