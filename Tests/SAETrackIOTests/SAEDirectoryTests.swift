import Foundation
import Testing
import SAETrackCore
@testable import SAETrackIO

@Test("SAE directories saved by sae_lens load with their weights and config (standard, topk, jumprelu)",
      arguments: ["standard", "topk", "jumprelu"])
func readsSAELensDirectories(_ architecture: String) throws {
    let url = IOFixtures.url("sae/saelens-\(architecture)")
    let (tensors, config) = try SAEDirectory.read(url)
    let file = try SafetensorsFile(contentsOf: url.appendingPathComponent("sae_weights.safetensors"))
    #expect(config.dIn == 16 && config.dSAE == 24 && config.architecture == architecture)
    #expect(tensors["W_enc"] == (try file.matrix("W_enc")) && tensors["W_enc"]?.rows == 16)
    #expect(tensors["W_dec"] == (try file.matrix("W_dec")) && tensors["W_dec"]?.rows == 24)
    #expect(tensors["b_enc"]?.storage == (try file.floats("b_enc")) && tensors["b_dec"]?.cols == 16)
    #expect(config.provenance.saeLensVersion == "6.54.12")
    switch architecture {
    case "standard":
        #expect(config.provenance.modelName == "pythia-70m" && config.provenance.hookName == "blocks.3.hook_resid_pre")
        #expect(config.provenance.contextSize == 128 && config.applyBDecToInput)
    case "topk": #expect(config.k == 4 && config.rescaleActsByDecoderNorm == false)
    default: #expect(tensors["threshold"]?.cols == 24)
    }
}

@Test("the sparsify layout loads in SAELens orientation, also when W_dec was stored transposed",
      arguments: ["sae/sparsify/layers.3", "sae/sparsify-transposed/layers.3"])
func readsSparsifyLayout(_ dir: String) throws {
    #expect(SAEDirectory.layout(of: IOFixtures.url(dir)) == .sparsify)
    let (tensors, config) = try SAEDirectory.read(IOFixtures.url(dir))
    let expected = try SafetensorsFile(contentsOf: IOFixtures.url("sae/sparsify-expected.safetensors"))
    #expect(config.dIn == 16 && config.dSAE == 24 && config.architecture == "topk" && config.k == 4)
    for name in ["W_enc", "b_enc", "W_dec", "b_dec"] {
        let m = tensors[name]!, want = try expected.matrix(name)
        #expect(m == want, "\(dir) \(name)")
    }
    #expect(tensors["W_enc"]?.rows == 16 && tensors["W_dec"]?.rows == 24)
}

private extension String { var fixture: URL { IOFixtures.url("sae/\(self)") } }

@Test("inconsistent SAE directories list every problem; missing files are named")
func brokenSAEDirectories() throws {
    do { _ = try SAEDirectory.read("broken-shapes".fixture); Issue.record("accepted") } catch let e as SAELayoutError {
        #expect(e == .shapeMismatch(directory: "broken-shapes".fixture.path, problems: ["missing b_enc"]))
    }
    do { _ = try SAEDirectory.read("broken-config".fixture); Issue.record("accepted") } catch let e as SAELayoutError {
        #expect(e == .shapeMismatch(directory: "broken-config".fixture.path, problems: ["b_dec gives d_in 16 but cfg.json says 18"]))
    }
    #expect(throws: SAELayoutError.missingFile(directory: IOFixtures.url("configs").path,
                                                  file: "sae_weights.safetensors or sae.safetensors")) {
        try SAEDirectory.read(IOFixtures.url("configs"))
    }
    let dir = IOFixtures.temporaryDirectory("sae-write")
    defer { try? FileManager.default.removeItem(at: dir) }
    let w = Matrix(rows: 4, cols: 6)
    #expect(throws: SAELayoutError.shapeMismatch(directory: dir.appendingPathComponent("x").path, problems: [
        "W_dec is [4, 6], expected [6, 4]", "b_dec has 3 elements, expected 4", "topk config without k"])) {
        try SAEDirectory.write(wEnc: w, bEnc: [Float](repeating: 0, count: 6), wDec: w, bDec: [0, 0, 0],
                               config: SAEDirectoryConfig(dIn: 4, dSAE: 6, architecture: "topk"), to: dir.appendingPathComponent("x"))
    }
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x").path))
}

@Test("write then read round-trips weights and provenance")
func saeRoundTrip() throws {
    let dir = IOFixtures.temporaryDirectory("sae-rt")
    defer { try? FileManager.default.removeItem(at: dir) }
    var rng = SeededRandom(seed: 9)
    var wEnc = Matrix(rows: 5, cols: 7), wDec = Matrix(rows: 7, cols: 5)
    wEnc.withUnsafeMutableBufferPointer { rng.fillNormal($0) }; wDec.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
    let p = SAEProvenance(modelName: "demo", hookName: "blocks.1.hook_resid_post", checkpointStep: 3, centered: false,
                          lmWeightsSHA256: "00ff", warmStartedFrom: 2)
    let cfg = SAEDirectoryConfig(dIn: 5, dSAE: 7, provenance: p)
    let url = dir.appendingPathComponent("sae")
    try SAEDirectory.write(wEnc: wEnc, bEnc: (0..<7).map(Float.init), wDec: wDec, bDec: [1, 2, 3, 4, 5], config: cfg, to: url)
    let (t, back) = try SAEDirectory.read(url)
    #expect(back == cfg)
    #expect(t["W_enc"] == wEnc && t["W_dec"] == wDec && t["b_enc"]?.storage == (0..<7).map(Float.init) && t["b_dec"]?.storage == [1, 2, 3, 4, 5])
}
