import Foundation
import SAETrackCore
import SAETrackIO
@testable import SAETrackLM

/// One debug state written by Tests/Fixtures/train/generate.py (transformers + torch autograd).
struct TrainingFixture {
    let file: SafetensorsFile
    let architecture: LMTrainingArchitecture
    let training: [String: Any]
    let tokens: [Int32]             // (B, T)
    let batch: Int, context: Int

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/train")

    init(_ name: String) throws {
        file = try SafetensorsFile(contentsOf: Self.directory.appendingPathComponent("\(name).safetensors"))
        let config = try JSONSerialization.jsonObject(with: Data(file.metadata["config"]!.utf8)) as! [String: Any]
        training = try JSONSerialization.jsonObject(with: Data(file.metadata["training"]!.utf8)) as! [String: Any]
        architecture = Self.architecture(config)
        let shape = file.info("tokens")!.shape
        (batch, context) = (shape[0], shape[1])
        tokens = try file.int32s("tokens")
    }

    /// The config.json keys the generator's tiny models use, mapped to a training architecture.
    static func architecture(_ c: [String: Any]) -> LMTrainingArchitecture {
        func int(_ k: String) -> Int { c[k] as! Int }
        if c["model_type"] as? String == "gpt2" {
            return .gpt2(layers: int("n_layer"), dModel: int("n_embd"), heads: int("n_head"),
                         dMLP: (c["n_inner"] as? Int) ?? 4 * int("n_embd"), vocabSize: int("vocab_size"),
                         maxPositions: int("n_positions"))
        }
        let rope = c["rope_parameters"] as! [String: Any]
        return .gptNeoX(layers: int("num_hidden_layers"), dModel: int("hidden_size"), heads: int("num_attention_heads"),
                        dMLP: int("intermediate_size"), vocabSize: int("vocab_size"),
                        maxPositions: int("max_position_embeddings"),
                        rotaryPct: (rope["partial_rotary_factor"] as! NSNumber).doubleValue,
                        rotaryBase: (rope["rope_theta"] as! NSNumber).doubleValue,
                        parallelResidual: c["use_parallel_residual"] as! Bool,
                        tiedEmbeddings: c["tie_word_embeddings"] as! Bool)
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

    func model() throws -> LMTrainingModel {
        try LMTrainingModel(architecture: architecture, weights: tensors("param."))
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
