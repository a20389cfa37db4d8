import Foundation
import SAETrackCore
import SAETrackIO
@testable import SAETrackLM

/// The tiny Hugging Face models and their transformers outputs written by
/// Tests/Fixtures/lm/generate.py (see its docstring for what each file holds).
enum ModelFixtures {
    /// Every fixture model: NeoX parallel (rotary 0.25, legacy config keys), NeoX sequential
    /// (rotary 0.5, base 500, tied, stored F16), GPT-2 tied (gelu_new), GPT-2 untied with
    /// scale_attn_by_inverse_layer_idx, exact GELU and n_inner 100, GPT-2 with ReLU and
    /// scale_attn_weights = false, NeoX with SiLU and full rotary.
    static let names = ["neox_parallel", "neox_sequential_f16", "gpt2_tied", "gpt2_scaled_untied", "gpt2_relu_unscaled", "neox_silu"]

    /// Tests/Fixtures/lm/
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures/lm")
    }()

    /// One model directory with its reference outputs.
    struct Case {
        let name: String
        let directory: URL
        let reference: SafetensorsFile
        let rows: Int
        let context: Int
        let tokens: [Int32]

        func expected(_ tensor: String) throws -> Matrix { try reference.matrix(tensor) }
        func expectedScalar(_ tensor: String) throws -> Float { try reference.floats(tensor)[0] }
    }

    static func load(_ name: String) throws -> Case {
        let dir = root.appendingPathComponent(name)
        let ref = try SafetensorsFile(contentsOf: dir.appendingPathComponent("reference.safetensors"))
        let shape = ref.info("tokens")!.shape
        return Case(name: name, directory: dir, reference: ref, rows: shape[0], context: shape[1],
                    tokens: try ref.int32s("tokens"))
    }
}

/// max|a − b| / max|b|: the error relative to the reference's largest magnitude, so values near
/// zero in the reference do not inflate it (the tolerance in the tests is 1e-4).
func maxRelativeError(_ a: Matrix, _ b: Matrix) -> Float {
    precondition(a.rows == b.rows && a.cols == b.cols, "shapes (\(a.rows), \(a.cols)) vs (\(b.rows), \(b.cols))")
    var diff: Float = 0, scale: Float = 0
    for i in 0..<a.count {
        diff = max(diff, abs(a.storage[i] - b.storage[i]))
        scale = max(scale, abs(b.storage[i]))
    }
    return diff / max(scale, .leastNormalMagnitude)
}

/// |a − b| / |b| for scalars.
func relativeError(_ a: Float, _ b: Float) -> Float { abs(a - b) / max(abs(b), .leastNormalMagnitude) }
