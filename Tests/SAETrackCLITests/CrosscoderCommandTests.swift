import Foundation
import Testing
import SAETrack

/// `saetrack crosscoder` end to end on the harness's tiny series (steps 0, 2, 4, 8): it writes its
/// files, the trajectories agree with the saved decoder weights, and bad input is refused by name.
@Suite("crosscoder command")
struct CrosscoderCommandTests {
    func arguments(_ h: CLIHarness, out: String, _ extra: [String]) -> [String] {
        ["crosscoder", "--series", h.path("series"), "--tokens", h.path("corpus/tokens.safetensors"), "--hook", "blocks.1.hook_resid_pre",
         "--out", h.path(out), "--d-sae", "48", "--steps", "120", "--batch-size", "128", "--train-rows", "48", "--eval-rows", "8",
         "--log-every", "40"] + extra
    }

    @Test("trains both forms over chosen checkpoints and writes weights, trajectories, evaluation and log")
    func trains() throws {
        let h = try CLIHarness("crosscoder")
        defer { h.remove() }
        try h.corpus()
        try h.series()
        for (out, form) in [("cc-topk", ["--sparsity", "batchtopk", "--k", "4"]), ("cc-l1", ["--sparsity", "l1", "--l1-coefficient", "3e-3", "--lr", "3e-3"])] {
            let log = try h.succeed(arguments(h, out: out, ["--checkpoints", "0,4,8"] + form))
            #expect(log.contains("crosscoder: every checkpoint's activations are held together"))
            #expect(log.contains("step 120/120"))
            let dir = URL(fileURLWithPath: h.path(out))
            for file in CrosscoderFiles.all { #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(file).path), "\(out)/\(file)") }
            let curves = try JSONFile.read(CrosscoderTrajectories.self, from: dir.appendingPathComponent("trajectories.json"))
            #expect(curves.steps == [0, 4, 8])
            #expect(curves.norms.count == 48 && curves.norms.allSatisfy { $0.count == 3 && $0.allSatisfy { $0.isFinite && $0 >= 0 } })
            #expect(curves.peakStep.allSatisfy { [0, 4, 8].contains($0) } && curves.onsetStep.allSatisfy { [0, 4, 8].contains($0) })
            for i in 0..<48 { #expect(curves.onsetStep[i] <= curves.peakStep[i]) }
            // The curves are the saved decoders' row norms.
            let weights = try SafetensorsFile(contentsOf: dir.appendingPathComponent(CrosscoderFiles.weightsFile))
            #expect(weights.info("W_dec")?.shape == [3, 48, 16] && weights.info("W_enc")?.shape == [3, 16, 48])
            let wDec = try weights.floats("W_dec")
            for s in 0..<3 {
                for i in [0, 17, 47] {
                    let row = wDec[((s * 48 + i) * 16)..<((s * 48 + i + 1) * 16)]
                    let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    #expect(abs(norm - curves.norms[i][s]) <= 1e-5 * max(norm, 1))
                }
            }
            let config = try String(contentsOf: dir.appendingPathComponent(CrosscoderFiles.configFile), encoding: .utf8)
            #expect(config.contains(out == "cc-l1" ? "\"kind\" : \"l1\"" : "\"kind\" : \"batchtopk\""), "\(config)")
            let csv = try String(contentsOf: dir.appendingPathComponent("trajectories.csv"), encoding: .utf8)
            #expect(csv.split(separator: "\n").count == 1 + 48 * 3)
            let evaluation = try JSONFile.read(CrosscoderEvaluation.self, from: dir.appendingPathComponent("evaluation.json"))
            #expect(evaluation.snapshots.map(\.step) == [0, 4, 8])
            for s in evaluation.snapshots { #expect(s.explainedVariance > 0.3 && s.explainedVariance <= 1, "\(out) step \(s.step) EV \(s.explainedVariance)") }
            let trainingLog = try JSONFile.read([CrosscoderLogEntry].self, from: dir.appendingPathComponent("training_log.json"))
            #expect(trainingLog.map(\.step) == [1, 40, 80, 120])
            #expect(trainingLog.last!.terms.loss < trainingLog.first!.terms.loss)
        }
    }

    @Test("refuses a missing checkpoint, a hook the model lacks, a single checkpoint, misplaced flags and divergence")
    func refusals() throws {
        let h = try CLIHarness("crosscoder-bad")
        defer { h.remove() }
        try h.corpus()
        try h.series()
        let cases: [([String], String)] = [
            (["--checkpoints", "0,5"], "no checkpoint for step 5"),
            (["--checkpoints", "4"], "at least 2 checkpoints"),
            (["--hook", "blocks.7.hook_resid_pre"], "names a block the model does not have"),
            (["--sparsity", "l1", "--k", "4"], "--k needs --sparsity batchtopk"),
            (["--l1", "1e-3"], "--l1 and --l1-warmup need --sparsity l1"),
            (["--sparsity", "relu"], "relu"),
            (["--k", "100"], "k must be in 1...d_sae"),
            (["--sparsity", "l1", "--l1", "0", "--lr", "1e4", "--log-every", "1"], "crosscoder training diverged at step"),
        ]
        for (extra, message) in cases {
            let (status, output) = try h.run(arguments(h, out: "bad", extra))
            #expect(status != 0, "\(extra) was accepted")
            #expect(output.contains(message), "\(extra): \(output)")
        }
        #expect(!FileManager.default.fileExists(atPath: h.path("bad/crosscoder.safetensors")))
    }
}
