import Foundation
import Testing
import SAETrack

/// NaN and divergence at the command line: named where they appear, nothing silently wrong.
@Suite("CLI: non-finite values and divergence")
struct NonFiniteTests {
    /// Random activations, 2560 × 16.
    static func activations(_ h: CLIHarness, nanAtRow row: Int? = nil) throws -> String {
        var rng = SeededRandom(seed: 5)
        var acts = Matrix(rows: 2560, cols: 16)
        acts.withUnsafeMutableBufferPointer { rng.fillNormal($0, mean: 0, std: 1) }
        if let row { acts.storage[row * 16 + 3] = .nan }
        let file = h.path("acts.safetensors")
        try SafetensorsWriter.write(["activations": TensorData(acts)], to: URL(fileURLWithPath: file))
        return file
    }

    static let saeFlags = ["--d-sae", "32", "--steps", "30", "--batch-size", "64", "--warmup", "2", "--log-every", "5",
                           "--save-every", "10", "--buffer-tokens", "512", "--threads", "1"]

    @Test("train-sae: one NaN in an activation file is refused before training, naming the row")
    func nanActivationRow() throws {
        let h = try CLIHarness("nan-acts")
        defer { h.remove() }
        let file = try Self.activations(h, nanAtRow: 1234)
        let (status, output) = try h.run(["train-sae", "--activations", file, "--out", h.path("sae")] + Self.saeFlags)
        #expect(status != 0)
        #expect(output.contains("row 1234") && output.contains("nan"), "\(output)")
        #expect(!output.contains("step 5/"), "training must not start: \(output)")
        #expect(!FileManager.default.fileExists(atPath: h.path("sae/sae_weights.safetensors")))
    }

    @Test("train-sae: --lr 1e6 diverges and stops, keeping the last good state, never writing an SAE")
    func divergenceStops() throws {
        let h = try CLIHarness("diverge")
        defer { h.remove() }
        let file = try Self.activations(h)
        let (status, output) = try h.run(["train-sae", "--activations", file, "--out", h.path("sae"), "--lr", "1e6"] + Self.saeFlags)
        #expect(status != 0)
        #expect(output.contains("diverged"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: h.path("sae/sae_weights.safetensors")))
        #expect(!output.contains("NSCocoaErrorDomain") && !output.contains("JSON"))
    }

    @Test("activations: a NaN weight is refused when the model is read, naming the tensor")
    func nanWeights() throws {
        let h = try CLIHarness("nan-weights")
        defer { h.remove() }
        try h.corpus(); try h.series()
        let dir = URL(fileURLWithPath: h.path("series/step2"))
        let file = try SafetensorsFile(contentsOf: dir.appendingPathComponent("model.safetensors"))
        var tensors: [String: TensorData] = [:]
        for t in file.tensors {
            var values = try file.floats(t.name)
            if t.name.hasSuffix("layers.1.mlp.dense_h_to_4h.weight") { values[7] = .nan }
            tensors[t.name] = TensorData(shape: t.shape, floats: values)
        }
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: dir.appendingPathComponent("model.safetensors"))
        let (status, output) = try h.run(["activations", "--model", dir.path, "--hook", "blocks.1.hook_resid_post",
                                          "--tokens", h.path("corpus/tokens.safetensors"), "--out", h.path("acts.safetensors")])
        #expect(status != 0)
        #expect(output.contains("layers.1.mlp.dense_h_to_4h.weight") && output.contains("non-finite"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: h.path("acts.safetensors")))
    }

    @Test("train-sae: a run refused before its first step (wrong hook) does not block the corrected command")
    func refusedRunDoesNotBlock() throws {
        let h = try CLIHarness("sae-hook")
        defer { h.remove() }
        try h.corpus(); try h.series()
        let common = ["train-sae", "--model", h.path("series/step8"), "--tokens", h.path("corpus/tokens.safetensors"),
                      "--out", h.path("sae")] + Self.saeFlags
        let (status, output) = try h.run(common + ["--hook", "blocks.5.hook_resid_pre"])
        #expect(status != 0)
        #expect(output.contains("blocks.5.hook_resid_pre"), "\(output)")
        let (fixed, log) = try h.run(common + ["--hook", "blocks.1.hook_resid_pre"])
        #expect(fixed == 0, "\(log)")
    }

    @Test("train-sae: a finished run rerun with the same inputs does nothing; with a changed input it is refused")
    func trainSAEFingerprint() throws {
        let h = try CLIHarness("sae-fingerprint")
        defer { h.remove() }
        let file = try Self.activations(h)
        try h.succeed(["train-sae", "--activations", file, "--out", h.path("sae")] + Self.saeFlags)
        let before = try h.snapshot("sae")
        let again = try h.succeed(["train-sae", "--activations", file, "--out", h.path("sae")] + Self.saeFlags)
        #expect(again.contains("nothing to do"), "\(again)")
        #expect(try h.snapshot("sae") == before)
        _ = try Self.activations(h, nanAtRow: nil)                  // same content: still nothing to do
        var acts = try SafetensorsFile(contentsOf: URL(fileURLWithPath: file)).matrix("activations")
        acts.storage[0] += 1
        try SafetensorsWriter.write(["activations": TensorData(acts)], to: URL(fileURLWithPath: file))
        let (status, output) = try h.run(["train-sae", "--activations", file, "--out", h.path("sae")] + Self.saeFlags)
        #expect(status != 0)
        #expect(output.contains("activations") && output.contains("changed"), "\(output)")
        #expect(try h.snapshot("sae") == before)
    }
}
