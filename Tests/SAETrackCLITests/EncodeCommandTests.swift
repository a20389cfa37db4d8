import Foundation
import Testing
import SAETrack

/// `saetrack encode` end to end: SAELens-written SAE directories of each architecture encode a batch
/// to the codes `sae_lens`'s own `encode` gave (Tests/Fixtures/sae/generate.py), as CSR and dense;
/// the model path matches the library's encode of the hook's activations; bad input is refused.
@Suite("saetrack encode")
struct EncodeCommandTests {
    static let fixtures: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures")
    }()

    /// Runs the CLI; returns (exit status, stdout, stderr).
    static func run(_ arguments: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = TrainSAEResumeTests.executable
        process.arguments = arguments
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        try process.run()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        let err = errPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// The dense (N, d_sae) matrix of a CSR codes file.
    static func denseFromCSR(_ f: SafetensorsFile) throws -> Matrix {
        let shape = try f.floats("shape").map { Int($0) }
        let indptr = try f.floats("indptr").map { Int($0) }, indices = try f.int32s("indices"), values = try f.floats("values")
        #expect(f.info("indptr")?.dtype == .i64 && f.info("indices")?.dtype == .i32 && f.info("values")?.dtype == .f32)
        var m = Matrix(rows: shape[0], cols: shape[1])
        for r in 0..<shape[0] {
            #expect(zip(indices[indptr[r]..<indptr[r + 1]], indices[indptr[r]..<indptr[r + 1]].dropFirst()).allSatisfy { $0 < $1 })
            for e in indptr[r]..<indptr[r + 1] { m[r, Int(indices[e])] = values[e] }
        }
        return m
    }

    @Test("CSR and --dense codes of SAELens directories (topk with rescale, jumprelu, layer_norm input) equal sae_lens encode; L0 and dead count printed",
          arguments: ["topk_rescale", "jumprelu", "standard_layer_norm"])
    func matchesSAELens(_ name: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: TrainSAEResumeTests.executable.path))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-encode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let batches = try SafetensorsFile(contentsOf: Self.fixtures.appendingPathComponent("sae/saelens_architectures.safetensors"))
        let acts = dir.appendingPathComponent("acts.safetensors")
        try SafetensorsWriter.write(["activations": TensorData(try batches.matrix("\(name).x"))], to: acts)
        let expected = try batches.matrix("\(name).feature_acts")                  // sae_lens's encode, (16, 40)
        let sae = Self.fixtures.appendingPathComponent("sae/saelens/\(name)").path

        let (status, stdout, stderr) = try Self.run(["encode", "--sae", sae, "--activations", acts.path,
                                                     "--out", dir.appendingPathComponent("csr.safetensors").path])
        #expect(status == 0, "\(stderr)")
        let csr = try Self.denseFromCSR(SafetensorsFile(contentsOf: dir.appendingPathComponent("csr.safetensors")))
        // float32 GEMM in another summation order than torch's: relative 1e-5 of the largest code.
        var diff: Float = 0, scale: Float = 0
        for (a, b) in zip(csr.storage, expected.storage) { diff = max(diff, abs(a - b)); scale = max(scale, abs(b)) }
        #expect(diff <= 1e-5 * scale)
        let l0 = Double(expected.storage.filter { $0 != 0 }.count) / Double(expected.rows)
        let dead = (0..<expected.cols).filter { c in (0..<expected.rows).allSatisfy { expected[$0, c] == 0 } }.count
        #expect(stdout.contains(String(format: "L0 %.3f, dead %d of 40", l0, dead)), "\(stdout)")

        let (s2, _, e2) = try Self.run(["encode", "--sae", sae, "--activations", acts.path, "--dense",
                                        "--out", dir.appendingPathComponent("dense.safetensors").path])
        #expect(s2 == 0, "\(e2)")
        let dense = try SafetensorsFile(contentsOf: dir.appendingPathComponent("dense.safetensors")).matrix("codes")
        #expect(dense == csr)
    }

    @Test("--model/--hook/--tokens encodes the hook's activations as the library does; a d_in mismatch is refused naming the file")
    func modelPath() throws {
        try #require(FileManager.default.isExecutableFile(atPath: TrainSAEResumeTests.executable.path))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-encode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let modelDir = Self.fixtures.appendingPathComponent("lm/gpt2_tied")
        let lm = try TransformerLM(directory: modelDir)
        var rng = SeededRandom(seed: 3)
        let tokens = (0..<(5 * 8)).map { _ in Int32(rng.int(below: 103)) }
        let tokenFile = dir.appendingPathComponent("tokens.safetensors")
        try TokenDataset(rows: 5, context: 8, tokens: tokens).write(to: tokenFile)
        var p = SAEParameters.kaimingUniform(dIn: lm.dModel, dSAE: 48, seed: 4)
        for i in 0..<48 { p.bEnc[i] = -0.05 }
        let sae = p.autoencoder(activation: .topK(6))
        let saeDir = dir.appendingPathComponent("sae")
        try sae.save(to: saeDir, provenance: SAEProvenance(hookName: "blocks.1.hook_resid_pre", centered: true))
        let out = dir.appendingPathComponent("codes.safetensors")
        let (status, _, stderr) = try Self.run(["encode", "--sae", saeDir.path, "--model", modelDir.path, "--hook",
                                                "blocks.1.hook_resid_pre", "--tokens", tokenFile.path, "--batch-rows", "2",
                                                "--out", out.path])
        #expect(status == 0, "\(stderr)")
        let hook = try HookPoint(name: "blocks.1.hook_resid_pre")
        let x = lm.activations(tokens: tokens, rows: 5, context: 8, at: hook, centered: true)   // centred: the SAE's metadata
        let reference = sae.encode(x).dense()
        let got = try Self.denseFromCSR(SafetensorsFile(contentsOf: out))
        #expect(got.rows == 40)
        var diff: Float = 0
        for (a, b) in zip(got.storage, reference.storage) { diff = max(diff, abs(a - b)) }
        #expect(diff <= 1e-5)                          // batches of 2 rows vs one forward: rounding only

        let wrong = dir.appendingPathComponent("wrong.safetensors")
        try SafetensorsWriter.write(["activations": TensorData(Matrix(rows: 4, cols: 7))], to: wrong)
        let (s2, _, e2) = try Self.run(["encode", "--sae", saeDir.path, "--activations", wrong.path, "--out", out.path])
        #expect(s2 != 0 && e2.contains(wrong.path) && e2.contains("d_in 7"), "\(e2)")
        let (s3, _, e3) = try Self.run(["encode", "--sae", saeDir.path, "--activations", wrong.path, "--model", modelDir.path,
                                        "--out", out.path])
        #expect(s3 != 0 && e3.contains("either --activations"), "\(e3)")
    }
}
