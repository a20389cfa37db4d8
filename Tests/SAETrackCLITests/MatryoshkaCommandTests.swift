import Foundation
import Testing
import SAETrack

/// `saetrack train-sae --architecture matryoshka` end to end on a small activation file: it trains,
/// logs the inner levels' loss, saves a JumpReLU SAE directory; bad widths are refused by name.
@Suite("train-sae --architecture matryoshka")
struct MatryoshkaCommandTests {
    static let activations: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures/sae/swift_input_activations.safetensors").path
    }()

    func base(_ out: String) -> [String] {
        ["train-sae", "--activations", Self.activations, "--out", out, "--d-sae", "40", "--k", "4", "--steps", "12",
         "--batch-size", "64", "--warmup", "3", "--lr", "1e-3", "--buffer-tokens", "256", "--eval-tokens", "64",
         "--loss", "saelens", "--decoder-norm", "free", "--log-every", "4"]
    }

    @Test("trains, logs inner_mse, and saves a jumprelu directory that loads with a threshold per feature")
    func trains() throws {
        let h = try CLIHarness("matryoshka")
        defer { h.remove() }
        let out = h.path("sae")
        _ = try h.succeed(base(out) + ["--architecture", "matryoshka", "--matryoshka-widths", "8,20"])
        let dir = URL(fileURLWithPath: out)
        #expect(try SAEDirectory.readConfig(dir).architecture == "jumprelu")
        let sae = try SparseAutoencoder.load(from: dir)
        #expect(sae.activation.threshold?.count == 40)
        let log = try String(contentsOf: dir.appendingPathComponent("training_log.json"), encoding: .utf8)
        let json = try JSONSerialization.jsonObject(with: Data(log.utf8))
        func innerValues(_ v: Any) -> [Double] {
            if let d = v as? [String: Any] { return d.flatMap { k, x in k == "inner_mse" ? [(x as? Double) ?? -1] : innerValues(x) } }
            if let a = v as? [Any] { return a.flatMap(innerValues) }
            return []
        }
        let inner = innerValues(json)
        #expect(!inner.isEmpty && inner.allSatisfy { $0 > 0 }, "inner_mse in the log: \(inner)")
    }

    @Test("--use-matryoshka-aux-loss and --rescale-acts-by-decoder-norm train a matryoshka SAE, are recorded and fingerprinted, and are refused by name for other architectures")
    func auxLossAndRescale() throws {
        let h = try CLIHarness("matryoshka-aux")
        defer { h.remove() }
        let out = h.path("sae")
        let run = base(out) + ["--architecture", "matryoshka", "--matryoshka-widths", "8,20", "--dead-window", "2"]
        _ = try h.succeed(run + ["--use-matryoshka-aux-loss", "--rescale-acts-by-decoder-norm"])
        let written = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/training_config.json"))) as? [String: Any])
        let config = try #require(written["config"] as? [String: Any])
        #expect(config["use_matryoshka_aux_loss"] as? Bool == true && config["rescale_acts_by_decoder_norm"] as? Bool == true)
        let cfg = try SAEDirectory.readConfig(URL(fileURLWithPath: out))
        #expect(cfg.architecture == "jumprelu" && cfg.rescaleActsByDecoderNorm == nil)
        for dropped in ["--use-matryoshka-aux-loss", "--rescale-acts-by-decoder-norm"] {
            let (status, output) = try h.run(run + ["--use-matryoshka-aux-loss", "--rescale-acts-by-decoder-norm"].filter { $0 != dropped })
            #expect(status != 0 && output.contains("different inputs"), "without \(dropped): \(output.suffix(400))")
        }
        for (extra, message) in [(["--architecture", "batchtopk", "--use-matryoshka-aux-loss"], "--use-matryoshka-aux-loss is a matryoshka option"),
                                 (["--architecture", "standard", "--rescale-acts-by-decoder-norm"],
                                  "--rescale-acts-by-decoder-norm is a topk, batchtopk and matryoshka option")] {
            let (status, output) = try h.run(base(h.path("o")) + extra)
            #expect(status != 0 && output.contains(message), "\(extra): \(output)")
        }
    }

    @Test("matryoshka without widths, widths without matryoshka, and a malformed or decreasing list are refused by name")
    func refusals() throws {
        let h = try CLIHarness("matryoshka-refusals")
        defer { h.remove() }
        for (extra, message) in [(["--architecture", "matryoshka"], "needs --matryoshka-widths"),
                                 (["--architecture", "topk", "--matryoshka-widths", "8"], "is a --architecture matryoshka option"),
                                 (["--architecture", "matryoshka", "--matryoshka-widths", "8,x"], "comma-separated integers"),
                                 (["--architecture", "matryoshka", "--matryoshka-widths", "20,8"], "strictly increasing")] {
            let (status, output) = try h.run(base(h.path("o")) + extra)
            #expect(status != 0 && output.contains(message), "\(extra): \(output)")
        }
    }
}
