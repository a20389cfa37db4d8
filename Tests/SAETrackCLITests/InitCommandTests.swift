import Foundation
import Testing
import SAETrack

/// `train-sae --weight-init saelens --decoder-init-norm N --b-dec-init zeros --clip-grad-norm 1`: recorded in
/// training_config.json under its keys; bad values are refused by name.
@Suite("train-sae initialisation options")
struct InitCommandTests {
    func base(_ out: String) -> [String] {
        ["train-sae", "--activations", MatryoshkaCommandTests.activations, "--out", out, "--d-sae", "40", "--steps", "4",
         "--batch-size", "64", "--warmup", "1", "--lr", "1e-3", "--buffer-tokens", "256", "--eval-tokens", "64",
         "--loss", "saelens", "--decoder-norm", "free", "--log-every", "2"]
    }

    @Test("the options train and are recorded; unknown values are refused by name")
    func recordedAndRefused() throws {
        let h = try CLIHarness("init-options")
        defer { h.remove() }
        _ = try h.succeed(base(h.path("sae")) + ["--weight-init", "saelens", "--decoder-init-norm", "0.2", "--b-dec-init", "zeros", "--clip-grad-norm", "1"])
        let written = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: h.path("sae/training_config.json")))) as? [String: Any])
        let config = try #require(written["config"] as? [String: Any])
        #expect(config["weight_init"] as? String == "tied")
        #expect(abs((config["decoder_init_norm"] as? Double ?? 0) - 0.2) < 1e-6)
        #expect(config["b_dec_init_method"] as? String == "zeros")
        #expect(config["clip_grad_norm"] as? Double == 1)
        for (extra, message) in [(["--weight-init", "xavier"], "--weight-init must be sae-track or saelens"),
                                 (["--b-dec-init", "median"], "--b-dec-init must be geometric-median, mean or zeros"),
                                 (["--decoder-init-norm", "0"], "--decoder-init-norm must be positive"),
                                 (["--clip-grad-norm", "0"], "--clip-grad-norm must be positive")] {
            let (status, output) = try h.run(base(h.path("o")) + extra)
            #expect(status != 0 && output.contains(message), "\(extra): \(output.suffix(400))")
        }
    }
}
