import Foundation
import Testing
import SAETrack

/// The cases of issue 13 at the command line: each bad situation exits non-zero, names the
/// problem, and leaves every existing file as it was.
@Suite("CLI guards: fingerprints, series ownership, preflight, partial tracks")
struct RunGuardTests {
    @Test("track: editing the token file after a run is refused naming the tokens; --resume-changed continues, --restart starts over")
    func changedTokensRefused() throws {
        let h = try CLIHarness("tokens")
        defer { h.remove() }
        try h.corpus(); try h.series()
        #expect(try h.track().status == 0)
        // Edit one row of the token file (same size, other ids).
        let url = URL(fileURLWithPath: h.path("corpus/tokens.safetensors"))
        var data = try TokenDataset(contentsOf: url)
        for i in 0..<data.context { data.tokens[i] = Int32((Int(data.tokens[i]) + 1) % 265) }
        try data.write(to: url)
        let before = try h.snapshot("track")
        let (status, output) = try h.track()
        #expect(status != 0)
        #expect(output.contains("tokens") && output.contains("changed"), "\(output)")
        #expect(try h.snapshot("track") == before, "a refused rerun changed the track directory")

        let (continued, log) = try h.track(extra: ["--resume-changed"])
        #expect(continued == 0, "\(log)")
        let state = try TrackState.read(from: URL(fileURLWithPath: h.path("track")))
        #expect(state.warnings.contains { $0.contains("--resume-changed") && $0.contains("tokens") })

        let (restarted, restartLog) = try h.track(extra: ["--restart"])
        #expect(restarted == 0, "\(restartLog)")
        #expect(restartLog.contains("stage 1/4"), "--restart should train every stage again")
    }

    @Test("track: killed mid-stage, then rerun on an edited token file, is refused; with the original tokens it resumes")
    func killedTrackWithChangedTokens() throws {
        let h = try CLIHarness("killed")
        defer { h.remove() }
        try h.corpus(); try h.series()
        let args = ["track", "--series", h.path("series"), "--tokens", h.path("corpus/tokens.safetensors"), "--out", h.path("track"),
                    "--checkpoint-every", "5"] + CLIHarness.trackFlags
        let (killed, _) = try h.run(args, environment: ["SAETRACK_FAULT_KILL_AT_STEP": "5"])
        #expect(killed != 0)
        let url = URL(fileURLWithPath: h.path("corpus/tokens.safetensors"))
        let original = try Data(contentsOf: url)
        var data = try TokenDataset(contentsOf: url)
        data.tokens[data.context + 1] = data.tokens[data.context + 1] == 7 ? 8 : 7
        try data.write(to: url)
        let before = try h.snapshot("track")
        let (status, output) = try h.run(args)
        #expect(status != 0)
        #expect(output.contains("tokens") && output.contains("changed"), "\(output)")
        #expect(try h.snapshot("track") == before)
        try original.write(to: url)
        let (resumed, log) = try h.run(args)
        #expect(resumed == 0, "\(log)")
        #expect(log.contains("resuming"), "\(log)")
    }

    @Test("track: a checkpoint replaced after its stage ran is detected by name")
    func replacedCheckpointRefused() throws {
        let h = try CLIHarness("replaced")
        defer { h.remove() }
        try h.corpus(); try h.series()
        #expect(try h.track().status == 0)
        let fm = FileManager.default
        try fm.removeItem(atPath: h.path("series/step4/model.safetensors"))
        try fm.copyItem(atPath: h.path("series/step2/model.safetensors"), toPath: h.path("series/step4/model.safetensors"))
        let before = try h.snapshot("track")
        let (status, output) = try h.track()
        #expect(status != 0)
        #expect(output.contains("checkpoint step 4") && output.contains("changed"), "\(output)")
        #expect(try h.snapshot("track") == before)
    }

    @Test("track: one byte changed in the middle of a finished stage's weights (outside any sampled block) is refused naming the checkpoint")
    func editedWeightByteRefused() throws {
        let h = try CLIHarness("byte")
        defer { h.remove() }
        try h.corpus(); try h.series(extra: ["--d-model", "64", "--heads", "2"])
        #expect(try h.track().status == 0)
        let url = URL(fileURLWithPath: h.path("series/step2/model.safetensors"))
        var bytes = try Data(contentsOf: url)
        let header = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
        let start = 8 + header, length = bytes.count - start
        // A sampled digest reading 17 blocks of 4 KiB at start + (length − 4096)·i/16 would miss a
        // byte between blocks 8 and 9; change one there.
        let afterBlock8 = start + (length - 4096) * 8 / 16 + 4096, block9 = start + (length - 4096) * 9 / 16
        try #require(block9 > afterBlock8 + 2, "the weights file is too small to have a gap between sampled blocks")
        bytes[(afterBlock8 + block9) / 2] ^= 0x01
        try bytes.write(to: url)
        let before = try h.snapshot("track")
        let (status, output) = try h.track()
        #expect(status != 0)
        #expect(output.contains("checkpoint step 2") && output.contains("series/step2") && output.contains("changed"), "\(output)")
        #expect(!output.contains("stage 1/"), "no stage may start: \(output)")
        #expect(try h.snapshot("track") == before, "a refused rerun changed the track directory")
    }

    @Test("track: a setting that changes results is refused naming it with old and new values, even with --resume-changed; a safe one continues under --resume-changed")
    func changedSettings() throws {
        let h = try CLIHarness("settings")
        defer { h.remove() }
        try h.corpus(); try h.series()
        let (first, log) = try h.track()
        #expect(first == 0, "\(log)")
        // The cost line comes from a measured probe of SAE steps and an LM forward.
        #expect(log.contains("estimate: ≈") && log.contains("SAE training steps ⇒") && log.contains("per token"), "\(log)")
        #expect(log.contains("fingerprint: 4 checkpoints"), "\(log)")
        let before = try h.snapshot("track")
        for extra in [["--first-lr", "0.002"], ["--first-lr", "0.002", "--resume-changed"]] {
            let (status, output) = try h.track(extra: extra)
            #expect(status != 0, "\(extra)")
            #expect(output.contains("first_stage.lr") && output.contains("→ 0.002") && output.contains("changes the results")
                    && output.contains("--restart"), "\(output)")
            #expect(try h.snapshot("track") == before, "a refused rerun changed the track directory")
        }
        let (refused, refusal) = try h.track(extra: ["--checkpoint-every", "7"])
        #expect(refused != 0)
        #expect(refusal.contains("checkpoint_every: 100 → 7") && refusal.contains("--resume-changed continues"), "\(refusal)")
        #expect(try h.snapshot("track") == before)
        let (accepted, acceptLog) = try h.track(extra: ["--checkpoint-every", "7", "--resume-changed"])
        #expect(accepted == 0, "\(acceptLog)")
        let state = try TrackState.read(from: URL(fileURLWithPath: h.path("track")))
        #expect(state.config.checkpointEvery == 7)
        #expect(state.warnings.contains { $0.contains("checkpoint_every: 100 → 7") && $0.contains("--resume-changed") }, "\(state.warnings)")
        #expect(try h.track(extra: ["--checkpoint-every", "7"]).status == 0, "the accepted value is now the recorded one")
    }

    @Test("track: a series of identical checkpoints gives identical-weights warnings in track.json and the report")
    func identicalCheckpointsWarn() throws {
        let h = try CLIHarness("identical")
        defer { h.remove() }
        try h.corpus(); try h.series()
        let fm = FileManager.default
        for s in [2, 4, 8] {
            try fm.removeItem(atPath: h.path("series/step\(s)"))
            try fm.copyItem(atPath: h.path("series/step0"), toPath: h.path("series/step\(s)"))
        }
        let (status, output) = try h.track()
        #expect(status == 0, "\(output)")
        let warnings = try TrackState.read(from: URL(fileURLWithPath: h.path("track"))).warnings
        for s in [2, 4, 8] {
            #expect(warnings.contains { $0.contains("step \(s) has weights identical to step 0") }, "\(warnings)")
        }
        try h.succeed(["analyze", "--track", h.path("track"), "--out", h.path("analysis")])
        let analysis = try String(contentsOfFile: h.path("analysis/analysis.json"), encoding: .utf8)
        #expect(analysis.contains("identical to step 0"))
        let report = try String(contentsOfFile: h.path("analysis/report.html"), encoding: .utf8)
        #expect(report.contains("identical to step 0"))
    }

    @Test("track: a wrong hook is refused before anything is written, and the corrected command then runs")
    func badHookFoundFirst() throws {
        let h = try CLIHarness("hook")
        defer { h.remove() }
        try h.corpus(); try h.series()
        let (status, output) = try h.track(extra: ["--hook", "blocks.7.hook_resid_pre"])
        #expect(status != 0)
        #expect(output.contains("blocks.7.hook_resid_pre") && output.contains("2: blocks.0"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: h.path("track/track.json")))
        #expect(try h.track().status == 0)
    }

    @Test("track: a d_model change mid-series and a truncated checkpoint are reported before the first stage")
    func seriesProblemsFoundFirst() throws {
        let h = try CLIHarness("series")
        defer { h.remove() }
        try h.corpus(); try h.series()
        try h.series("wide", extra: ["--d-model", "32", "--heads", "2"])
        let fm = FileManager.default
        try fm.removeItem(atPath: h.path("series/step8"))
        try fm.copyItem(atPath: h.path("wide/step8"), toPath: h.path("series/step8"))
        let weights = h.path("series/step4/model.safetensors")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: weights))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: weights))
        let (status, output) = try h.track()
        #expect(status != 0)
        #expect(output.contains("step8") && output.contains("d_model 32"), "\(output)")
        #expect(output.contains("step4"), "the truncated checkpoint is named too: \(output)")
        #expect(!output.contains("stage 1/"), "no stage may start: \(output)")
        #expect(!fm.fileExists(atPath: h.path("track/track.json")))
    }

    @Test("track: token ids beyond the vocabulary and an unreadable --tokenizer are refused before anything is written")
    func tokensAndTokenizerFoundFirst() throws {
        let h = try CLIHarness("vocab")
        defer { h.remove() }
        try h.corpus(); try h.series()
        let (badTokenizer, tokenizerOutput) = try h.track(extra: ["--tokenizer", h.path("missing-tokenizer.json")])
        #expect(badTokenizer != 0)
        #expect(tokenizerOutput.contains("missing-tokenizer.json"), "\(tokenizerOutput)")
        var data = try TokenDataset(contentsOf: URL(fileURLWithPath: h.path("corpus/tokens.safetensors")))
        data.tokens[3 * data.context + 5] = 999                     // vocabulary 265
        try data.write(to: URL(fileURLWithPath: h.path("corpus/tokens.safetensors")))
        let (status, output) = try h.track()
        #expect(status != 0)
        #expect(output.contains("token id 999 in row 3") && output.contains("265"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: h.path("track")), "nothing may be written")
    }

    @Test("track: leftovers of an interrupted atomic write are removed on the next run")
    func temporaryFilesCleaned() throws {
        let h = try CLIHarness("tmp")
        defer { h.remove() }
        try h.corpus(); try h.series()
        #expect(try h.track().status == 0)
        let leftover = h.path("track/saes/.step2.tmp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: leftover, withIntermediateDirectories: true)
        let file = h.path("track/.track.json.tmp-999999")
        FileManager.default.createFile(atPath: file, contents: Data("{".utf8))
        #expect(try h.track().status == 0)
        #expect(!FileManager.default.fileExists(atPath: leftover))
        #expect(!FileManager.default.fileExists(atPath: file))
    }

    @Test("analyze: an unfinished track is refused; --allow-partial marks analysis.json and the report partial")
    func partialTrack() throws {
        let h = try CLIHarness("partial")
        defer { h.remove() }
        try h.corpus(); try h.series()
        #expect(try h.track().status == 0)
        // Mark the last stage unfinished, as a killed run leaves it.
        let url = URL(fileURLWithPath: h.path("track/track.json"))
        var state = try TrackState.read(from: url.deletingLastPathComponent())
        state.stages[3].status = .training
        try state.write(to: url.deletingLastPathComponent())
        let (status, output) = try h.run(["analyze", "--track", h.path("track"), "--out", h.path("analysis")])
        #expect(status != 0)
        #expect(output.contains("unfinished") && output.contains("8") && output.contains("--allow-partial"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: h.path("analysis")))
        try h.succeed(["analyze", "--track", h.path("track"), "--out", h.path("analysis"), "--allow-partial"])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: h.path("analysis/analysis.json")))) as? [String: Any]
        let warnings = json?["warnings"] as? [String] ?? []
        #expect(warnings.first?.hasPrefix("PARTIAL") == true && warnings.first?.contains("steps 8") == true, "\(warnings)")
        #expect(try String(contentsOfFile: h.path("analysis/report.html"), encoding: .utf8).contains("PARTIAL"))
        #expect(json?["missing_stages"] as? [Int] == [8], "\(json?["missing_stages"] ?? "absent")")
        // Every CSV carries a last column `partial` = true on every row (what pandas reads as a column).
        try h.succeed(["analyze", "--track", h.path("track"), "--out", h.path("analysis"), "--allow-partial", "--all-features"])
        for name in AnalysisExport.csvFiles + ["features.csv"] {
            let lines = try String(contentsOfFile: h.path("analysis/\(name)"), encoding: .utf8).split(separator: "\n")
            #expect(lines.first?.hasSuffix(",partial") == true, "\(name): \(lines.first ?? "")")
            #expect(lines.dropFirst().allSatisfy { $0.hasSuffix(",true") }, "\(name) has a row not marked partial")
        }
        let features = try String(contentsOfFile: h.path("analysis/features.csv"), encoding: .utf8)
        #expect(features.split(separator: "\n").count > 1, "features.csv should have rows to mark")
        // The finished track's outputs have no such column.
        state.stages[3].status = .done
        try state.write(to: url.deletingLastPathComponent())
        try h.succeed(["analyze", "--track", h.path("track"), "--out", h.path("complete")])
        let summary = try String(contentsOfFile: h.path("complete/summary.csv"), encoding: .utf8)
        #expect(!summary.contains("partial"))
        #expect(try !String(contentsOfFile: h.path("complete/analysis.json"), encoding: .utf8).contains("missing_stages"))
    }

    @Test("train-lm: --out onto a series of another architecture is refused and the series is unchanged")
    func trainLMOtherArchitecture() throws {
        let h = try CLIHarness("arch")
        defer { h.remove() }
        try h.corpus(); try h.series()
        let before = try h.snapshot("series")
        let (status, output) = try h.run(h.trainLM("series", ["--arch", "gpt2"]))
        #expect(status != 0)
        #expect(output.contains("another model") && output.contains("GPT-2"), "\(output)")
        #expect(try h.snapshot("series") == before)
    }

    @Test("train-lm: a series it did not write is refused, even with --restart")
    func trainLMForeignSeries() throws {
        let h = try CLIHarness("foreign")
        defer { h.remove() }
        try h.corpus(); try h.series()
        let fm = FileManager.default
        try fm.removeItem(atPath: h.path("series/optimizer_state.safetensors"))
        try fm.removeItem(atPath: h.path("series/fingerprint.json"))
        let before = try h.snapshot("series")
        for extra in [[], ["--restart"]] {
            let (status, output) = try h.run(h.trainLM("series", extra))
            #expect(status != 0)
            #expect(output.contains("did not write"), "\(output)")
        }
        #expect(try h.snapshot("series") == before)
    }

    @Test("train-lm: changed training settings are refused on resume")
    func trainLMChangedSettings() throws {
        let h = try CLIHarness("lmsettings")
        defer { h.remove() }
        try h.corpus(); try h.series()
        let before = try h.snapshot("series")
        let (status, output) = try h.run(h.trainLM("series", ["--lr", "1e-3"]))
        #expect(status != 0)
        #expect(output.contains("training") && output.contains("changed"), "\(output)")
        #expect(try h.snapshot("series") == before)
    }

    @Test("train-lm: heads that do not divide d_model (transformers refuses them) are refused before anything is written")
    func trainLMBadHeads() throws {
        let h = try CLIHarness("heads")
        defer { h.remove() }
        try h.corpus()
        let (status, output) = try h.run(h.trainLM("bad", ["--d-model", "32", "--heads", "3"]))
        #expect(status != 0)
        #expect(output.contains("num_attention_heads") && output.contains("32") && output.contains("3"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: h.path("bad")))
    }
}

/// Foundation's raw errors never reach the user: each message names the file and says the problem in words.
@Suite("CLI: errors in words")
struct ErrorWordingTests {
    @Test("missing and malformed files give worded errors naming the file (no NSCocoaErrorDomain, DecodingError or error numbers)")
    func wordedErrors() throws {
        let h = try CLIHarness("words")
        defer { h.remove() }
        try h.corpus()
        try FileManager.default.createDirectory(atPath: h.path("badtrack"), withIntermediateDirectories: true)
        try Data("{\"format\": 1}".utf8).write(to: URL(fileURLWithPath: h.path("badtrack/track.json")))
        try Data("{".utf8).write(to: URL(fileURLWithPath: h.path("bad.json")))
        let cases: [([String], String)] = [
            (["analyze", "--track", h.path("nothing"), "--out", h.path("a")], "nothing/track.json"),
            (["analyze", "--track", h.path("badtrack"), "--out", h.path("a")], "missing key \"config\""),
            (["train-lm", "--tokens", h.path("corpus/tokens.safetensors"), "--out", h.path("s"), "--config", h.path("none.json")],
             "none.json: cannot read config: no such file"),
            (["corpus", "--out", h.path("c"), "--config", h.path("bad.json")], "bad.json: not valid JSON"),
            (["train-sae", "--activations", h.path("none.safetensors"), "--out", h.path("o")], "none.safetensors"),
            (["track", "--series", h.path("none"), "--tokens", h.path("corpus/tokens.safetensors"), "--out", h.path("t")], "none: not a directory"),
        ]
        for (args, expected) in cases {
            let (status, output) = try h.run(args)
            #expect(status != 0, "\(args)")
            #expect(output.contains(expected), "\(args.first!): expected “\(expected)” in: \(output)")
            for raw in ["NSCocoaErrorDomain", "DecodingError", "Error Domain=", "error 3", "Code="] {
                #expect(!output.contains(raw), "\(args.first!): raw error text “\(raw)” in: \(output)")
            }
        }
    }
}
