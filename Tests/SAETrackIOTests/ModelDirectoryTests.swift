import Foundation
import Testing
import SAETrackCore
@testable import SAETrackIO

/// Expected weights (float32, SAETrack names) were written by generate.py from the torch modules.
private func expectedWeights(_ name: String) throws -> [String: [Float]] {
    let f = try SafetensorsFile(contentsOf: IOFixtures.url("models/\(name)-expected.safetensors"))
    return try Dictionary(uniqueKeysWithValues: f.tensorNames.map { ($0, try f.floats($0)) })
}

@Test("transformers-saved tiny models load with the values torch holds (F32, F16, BF16, sharded, hub-style)",
      arguments: [("gpt2-tiny", "gpt2-tiny"), ("gpt2-tiny-hubstyle", "gpt2-tiny"), ("gpt2-tiny-bf16", "gpt2-tiny-bf16"),
                  ("neox-tiny", "neox-tiny"), ("neox-tiny-f16", "neox-tiny-f16"), ("neox-tiny-sharded", "neox-tiny"),
                  ("neox-tiny-buffers", "neox-tiny")])
func tinyModelsLoad(_ dir: String, _ expectedName: String) throws {
    let md = try ModelDirectory(IOFixtures.url("models/\(dir)"))
    let weights = try md.loadWeights()
    var expected = try expectedWeights(expectedName)
    if dir.hasPrefix("neox-tiny-sharded") { #expect(md.weightFiles.count > 1) }
    #expect(Set(weights.keys) == Set(expected.keys))
    for (name, m) in weights {
        #expect(m.storage == expected.removeValue(forKey: name), "\(dir): \(name)")
    }
    // Every layout parameter is present with its matrix shape.
    for spec in md.config.parameterLayout {
        #expect(weights[spec.name]?.rows == spec.matrixShape.rows && weights[spec.name]?.cols == spec.matrixShape.cols)
    }
    if case .gpt2 = md.config { #expect(weights["lm_head.weight"] == nil && weights["h.0.attn.c_attn.weight"]?.cols == 48) }
}

@Test("a directory whose tensors disagree with config.json lists every problem in one error")
func brokenDirectoryListsEverything() throws {
    let url = IOFixtures.url("models/broken/neox-many-problems")
    do {
        _ = try ModelDirectory(url).loadWeights()
        Issue.record("loaded a broken directory")
    } catch let ModelDirectoryError.mismatch(m) {
        #expect(m.missing == ["gpt_neox.layers.1.mlp.dense_4h_to_h.weight", "embed_out.weight"])
        #expect(m.unexpected == ["gpt_neox.layers.2.attention.dense.weight"])
        #expect(m.wrongShape == [
            .init(name: "gpt_neox.layers.0.attention.query_key_value.weight", found: [16, 48], expected: [48, 16]),
            .init(name: "gpt_neox.final_layer_norm.weight", found: [17], expected: [16]),
        ])
        #expect(m.wrongDType == ["gpt_neox.layers.0.mlp.dense_h_to_4h.bias is I32, expected a float type"])
        let text = m.description
        #expect(text.contains("model.safetensors") && text.contains("GPT-NeoX, 2 layers"))
        #expect(text.split(separator: "\n").count == 7)
    }
}

@Test("a GPT-2 checkpoint holding both wte.weight and transformer.wte.weight is a duplicate")
func duplicatePrefixedName() throws {
    #expect(throws: ModelDirectoryError.self) { try ModelDirectory(IOFixtures.url("models/broken/gpt2-duplicate")).loadWeights() }
    do { _ = try ModelDirectory(IOFixtures.url("models/broken/gpt2-duplicate")).loadWeights() } catch let ModelDirectoryError.mismatch(m) {
        #expect(m.duplicate == ["wte.weight"] && m.missing.isEmpty && m.unexpected.isEmpty)
    }
}

@Test("missing config, missing weights and a bad shard index are specific errors")
func brokenDirectoryErrors() throws {
    let b = IOFixtures.url("models/broken")
    #expect(throws: ModelDirectoryError.missingConfig(directory: b.appendingPathComponent("no-config").path)) {
        try ModelDirectory(b.appendingPathComponent("no-config"))
    }
    do { _ = try ModelDirectory(b.appendingPathComponent("no-weights")); Issue.record("no error") } catch let e as ModelDirectoryError {
        guard case .noWeights = e else { Issue.record("wrong error \(e)"); return }
        #expect(e.description.contains("pytorch_model.bin") && e.description.contains("save_pretrained"))
    }
    do { _ = try ModelDirectory(b.appendingPathComponent("index-missing-shard")); Issue.record("no error") } catch let e as ModelDirectoryError {
        guard case .invalidIndex(_, let reason) = e else { Issue.record("wrong error \(e)"); return }
        #expect(reason.contains("does not exist"))
    }
    #expect(throws: ModelDirectoryError.notADirectory(path: "/nonexistent/x")) { try ModelDirectory(URL(fileURLWithPath: "/nonexistent/x")) }
}

@Test("write then open gives the same config and weights; write refuses mismatched weights")
func writeRoundTrip() throws {
    let tmp = IOFixtures.temporaryDirectory("model")
    defer { try? FileManager.default.removeItem(at: tmp) }
    for name in ["gpt2-tiny", "neox-tiny-f16"] {
        let src = try ModelDirectory(IOFixtures.url("models/\(name)"))
        let weights = try src.loadWeights()
        let dst = tmp.appendingPathComponent(name)
        try ModelDirectory.write(config: src.config, weights: weights, to: dst)
        try ModelDirectory.write(config: src.config, weights: weights, to: dst)   // replaces an existing directory
        let back = try ModelDirectory(dst)
        #expect(back.config == src.config)
        #expect(try back.loadWeights() == weights)
        #expect(try back.weightsSHA256() == src.weightsSHA256())
        let file = try SafetensorsFile(contentsOf: dst.appendingPathComponent("model.safetensors"))
        #expect(file.metadata == ["format": "pt"])
        #expect(file.tensors.allSatisfy { $0.dtype == .f32 })
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }
    let src = try ModelDirectory(IOFixtures.url("models/neox-tiny"))
    var weights = try src.loadWeights()
    weights["extra"] = Matrix(rows: 1, cols: 1)
    weights.removeValue(forKey: "embed_out.weight")
    #expect(throws: ModelDirectoryError.self) { try ModelDirectory.write(config: src.config, weights: weights, to: tmp.appendingPathComponent("bad")) }
    #expect(!FileManager.default.fileExists(atPath: tmp.appendingPathComponent("bad").path))
}
