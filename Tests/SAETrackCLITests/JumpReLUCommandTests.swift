import Foundation
import Testing
import SAETrack

/// `saetrack train-sae --architecture jumprelu` with SAELens's remaining JumpReLU options (tanh
/// sparsity, pre-activation loss, straight-through estimator to the inputs, L0 warm-up): it trains,
/// records every option under its SAELens key in training_config.json, and refuses misuse by name.
@Suite("train-sae --architecture jumprelu options")
struct JumpReLUCommandTests {
    func base(_ out: String) -> [String] {
        ["train-sae", "--activations", MatryoshkaCommandTests.activations, "--out", out, "--d-sae", "40", "--steps", "12",
         "--batch-size", "64", "--warmup", "3", "--lr", "1e-3", "--buffer-tokens", "256", "--eval-tokens", "64",
         "--loss", "saelens", "--decoder-norm", "free", "--log-every", "4", "--architecture", "jumprelu"]
    }

    @Test("tanh sparsity, the pre-activation loss on dead latents, ste-to-input and the L0 warm-up train and are recorded in training_config.json")
    func trainsAndRecords() throws {
        let h = try CLIHarness("jumprelu-options")
        defer { h.remove() }
        let out = h.path("sae")
        _ = try h.succeed(base(out) + ["--jumprelu-sparsity", "tanh", "--jumprelu-tanh-scale", "2.5", "--l0-coefficient", "0.01",
                                       "--pre-act-loss-coefficient", "0.001", "--jumprelu-ste-to-input", "--l0-warmup", "5",
                                       "--dead-window", "2"])
        let dir = URL(fileURLWithPath: out)
        let written = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("training_config.json"))) as? [String: Any])
        let config = try JSONDecoder().decode(SAETrainingConfig.self,
                                              from: JSONSerialization.data(withJSONObject: try #require(written["config"])))
        #expect(config.jumpReLUSparsity == .tanh && config.jumpReLUTanhScale == 2.5 && config.preActLossCoefficient == 0.001
                && config.jumpReLUSTEToInput && config.l0WarmupSteps == 5 && config.l0Coefficient == 0.01)
        let raw = try String(contentsOf: dir.appendingPathComponent("training_config.json"), encoding: .utf8)
        for key in ["jumprelu_tanh_scale", "pre_act_loss_coefficient", "jumprelu_ste_to_input", "l0_warm_up_steps"] {
            #expect(raw.contains("\"\(key)\""), "\(key) in training_config.json")
        }
        #expect(try SAEDirectory.readConfig(dir).architecture == "jumprelu")
        let csv = try String(contentsOf: dir.appendingPathComponent("training_log.csv"), encoding: .utf8)
        #expect(csv.hasPrefix(SAETrainingLogEntry.csvHeader) && SAETrainingLogEntry.csvHeader.contains(",pre_act,"))
    }

    @Test("JumpReLU-only options on another architecture, an unknown sparsity mode and a misplaced target are refused by name")
    func refusals() throws {
        let h = try CLIHarness("jumprelu-refusals")
        defer { h.remove() }
        for (extra, message) in [(["--architecture", "topk", "--pre-act-loss-coefficient", "1e-3"], "--pre-act-loss-coefficient is a jumprelu option"),
                                 (["--architecture", "standard", "--jumprelu-ste-to-input"], "--jumprelu-ste-to-input is a jumprelu option"),
                                 (["--architecture", "standard", "--jumprelu-sparsity", "tanh"], "--jumprelu-sparsity is a jumprelu option"),
                                 (["--jumprelu-sparsity", "cubic"], "Please provide one of 'step', 'quadratic' or 'tanh'"),
                                 (["--jumprelu-sparsity", "tanh", "--target-l0", "5"], "--target-l0 is for --jumprelu-sparsity quadratic"),
                                 (["--jumprelu-tanh-scale", "0"], "--jumprelu-tanh-scale must be positive"),
                                 (["--pre-act-loss-coefficient=-1"], "--pre-act-loss-coefficient must be ≥ 0")] {
            let (status, output) = try h.run(base(h.path("o")) + extra)
            #expect(status != 0 && output.contains(message), "\(extra): \(output.suffix(400))")
        }
    }
}
