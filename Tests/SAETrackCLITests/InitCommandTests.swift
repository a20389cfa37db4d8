import Foundation
import Testing
import SAETrack

/// `train-sae --weight-init saelens --decoder-init-norm N --b-dec-init zeros --clip-grad-norm 1`: recorded in
/// training_config.json under its keys; bad values are refused by name; `auto` (the default) is resolved,
/// recorded and fingerprinted as the values it stands for; `track` passes the options to its stages.
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
        for (extra, message) in [(["--weight-init", "xavier"], "--weight-init"),
                                 (["--b-dec-init", "median"], "--b-dec-init"),
                                 (["--clip-grad-norm", "one"], "--clip-grad-norm"),
                                 (["--decoder-init-norm", "0"], "--decoder-init-norm must be positive"),
                                 (["--clip-grad-norm", "0"], "--clip-grad-norm must be positive")] {
            let (status, output) = try h.run(base(h.path("o")) + extra)
            #expect(status != 0 && output.contains(message) && (message.hasSuffix("positive") || output.contains(extra[1])),
                    "\(extra): \(output.suffix(400))")
        }
    }

    func recorded(_ dir: String) throws -> [String: Any] {
        let written = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/training_config.json"))) as? [String: Any])
        return try #require(written["config"] as? [String: Any])
    }

    @Test("auto: SAELens's trainer for standard --loss saelens and jumprelu, SAE-Track's for topk; the same resolved values rerun as the same run, changed ones are refused")
    func autoResolvedAndFingerprinted() throws {
        let h = try CLIHarness("init-auto")
        defer { h.remove() }
        let log = try h.succeed(base(h.path("std")))
        #expect(log.contains("init: weight init tied, b_dec zeros, clip grad norm 1.0"), "\(log)")
        var c = try recorded(h.path("std"))
        #expect(c["weight_init"] as? String == "tied" && c["b_dec_init_method"] as? String == "zeros" && c["clip_grad_norm"] as? Double == 1)
        // Given explicitly, the same values are the same run; a changed resolved value is refused.
        let same = try h.succeed(base(h.path("std")) + ["--weight-init", "saelens", "--b-dec-init", "zeros", "--clip-grad-norm", "1"])
        #expect(same.contains("nothing to do"), "\(same)")
        for extra in [["--clip-grad-norm", "none"], ["--weight-init", "sae-track"], ["--b-dec-init", "geometric-median"]] {
            let (status, output) = try h.run(base(h.path("std")) + extra)
            #expect(status != 0 && output.contains("different inputs"), "\(extra): \(output.suffix(400))")
        }

        _ = try h.succeed(base(h.path("jr")) + ["--architecture", "jumprelu", "--l0-coefficient", "0.3"])
        c = try recorded(h.path("jr"))
        #expect(c["weight_init"] as? String == "tied" && c["b_dec_init_method"] as? String == "zeros" && c["clip_grad_norm"] as? Double == 1)

        _ = try h.succeed(base(h.path("tk")) + ["--architecture", "topk", "--k", "4"])
        c = try recorded(h.path("tk"))
        #expect(c["weight_init"] as? String == "saeTrack" && c["b_dec_init_method"] as? String == "geometricMedian" && c["clip_grad_norm"] == nil)
    }

    @Test("--no-shuffle, --rescale-acts-by-decoder-norm and BatchTopK's --topk-threshold-lr are part of the run: changing one is refused")
    func orderRescaleAndThresholdRateFingerprinted() throws {
        let h = try CLIHarness("fingerprint-flags")
        defer { h.remove() }
        let topk = base(h.path("tk")) + ["--architecture", "topk", "--k", "4"]
        _ = try h.succeed(topk)
        for extra in [["--no-shuffle"], ["--rescale-acts-by-decoder-norm"]] {
            let (status, output) = try h.run(topk + extra)
            #expect(status != 0 && output.contains("different inputs"), "\(extra): \(output.suffix(400))")
        }
        #expect(try h.succeed(topk + ["--topk-threshold-lr", "0.02"]).contains("nothing to do"))   // TopK has no threshold
        let batch = base(h.path("btk")) + ["--architecture", "batchtopk", "--k", "4"]
        _ = try h.succeed(batch)
        #expect(try h.succeed(batch + ["--topk-threshold-lr", "0.01"]).contains("nothing to do"))
        let (status, output) = try h.run(batch + ["--topk-threshold-lr", "0.02"])
        #expect(status != 0 && output.contains("different inputs"), "\(output.suffix(400))")
    }

    @Test("track: auto gives a jumprelu chain SAELens's init in the first stage and clip 1 in every stage; explicit values reach the stage configs; a change is refused by name")
    func trackPassesThem() throws {
        let h = try CLIHarness("init-track")
        defer { h.remove() }
        try h.corpus(); try h.series()
        let jr = ["--architecture", "jumprelu", "--l0-coefficient", "0.3"]
        let (status, log) = try h.track(extra: jr)
        #expect(status == 0, "\(log.suffix(600))")
        #expect(log.contains("first stage weight init tied, b_dec zeros, clip grad norm 1.0; continual stages clip grad norm 1.0"), "\(log)")
        var state = try TrackState.read(from: URL(fileURLWithPath: h.path("track")))
        #expect(state.config.firstStage.weightInit == .tied && state.config.firstStage.bDecInit == .zeros)
        #expect(state.config.firstStage.clipGradNorm == 1 && state.config.continualStage.clipGradNorm == 1)
        let (refused, refusal) = try h.track(extra: jr + ["--clip-grad-norm", "none"])
        #expect(refused != 0 && refusal.contains("clip_grad_norm"), "\(refusal.suffix(600))")

        let (explicit, elog) = try h.track(out: "track2", extra: ["--weight-init", "saelens", "--decoder-init-norm", "0.2", "--b-dec-init", "mean",
                                                                  "--clip-grad-norm", "2"])
        #expect(explicit == 0, "\(elog.suffix(600))")
        state = try TrackState.read(from: URL(fileURLWithPath: h.path("track2")))
        let f = state.config.firstStage
        #expect(f.architecture == .standard && f.weightInit == .tied && abs(f.decoderInitNorm - 0.2) < 1e-7 && f.bDecInit == .mean)
        #expect(f.clipGradNorm == 2 && state.config.continualStage.clipGradNorm == 2)
    }
}
