import Foundation
import Testing
import SAETrack

/// ArgumentParser appends "(default: …)" to the help of every option with a default value, so a
/// help text that spells that default as well says it twice and, when one of them changes, says
/// two different things. Help may still explain a default it cannot show (an optional flag's
/// "default: SAETRACK_THREADS or all cores"), and `track`'s numeric flags, which fall back to the
/// `--preset`, show each preset's value.
@Suite("help defaults")
struct HelpDefaultsTests {
    /// (command, flag, help) of every option with a default whose help text mentions a default,
    /// over every subcommand of the built `saetrack` (from `--experimental-dump-help`).
    static func restatedDefaults() throws -> [String] {
        var found: [String] = []
        func walk(_ command: [String: Any], _ path: String) {
            let name = (path + " " + (command["commandName"] as? String ?? "")).trimmingCharacters(in: .whitespaces)
            for argument in command["arguments"] as? [[String: Any]] ?? [] where argument["defaultValue"] != nil {
                let help = argument["abstract"] as? String ?? ""
                if help.range(of: #"\bdefault\b[: ]"#, options: .regularExpression) != nil {
                    found.append("\(name) --\(argument["valueName"] ?? ""): \(help)")
                }
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] { walk(sub, name) }
        }
        walk(try dumpedHelp(), "")
        return found
    }

    /// The built `saetrack`'s `--experimental-dump-help` command tree.
    static func dumpedHelp() throws -> [String: Any] {
        let r = try CLIHarness.execute(["--experimental-dump-help"], in: FileManager.default.temporaryDirectory)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        return try #require(json["command"] as? [String: Any])
    }

    @Test("no saetrack option with a default value states it again in its help")
    func defaultsOnce() throws {
        try #require(FileManager.default.isExecutableFile(atPath: TrainSAEResumeTests.executable.path),
                     "build the CLI first (make test does): \(TrainSAEResumeTests.executable.path)")
        let restated = try Self.restatedDefaults()
        #expect(restated.isEmpty, "\(restated.joined(separator: "\n"))")
    }

    @Test("track: the help of each preset-backed flag gives every preset's value")
    func presetValuesInHelp() throws {
        let root = try Self.dumpedHelp()
        let track = try #require((root["subcommands"] as? [[String: Any]])?.first { $0["commandName"] as? String == "track" })
        var help: [String: String] = [:]
        for argument in track["arguments"] as? [[String: Any]] ?? [] {
            if let name = argument["valueName"] as? String { help[name] = argument["abstract"] as? String }
        }
        for (flag, values) in [("d-sae", "paper expansion × d_model, demo 1024, quick 256"), ("expansion", "every preset: 64"),
                               ("batch-size", "paper 4096, demo 1024, quick 512"), ("first-steps", "paper 73243, demo 800, quick 150"),
                               ("continual-steps", "paper 3663, demo 150, quick 30"), ("first-lr", "paper 0.0004, demo 0.004, quick 0.004"),
                               ("continual-lr", "paper 4e-05, demo 0.0004, quick 0.0004"), ("first-warmup", "paper 5000, demo 50, quick 20"),
                               ("continual-warmup", "every preset: 3"), ("l1", "paper 8e-05, demo 0.0008, quick 0.0008"),
                               ("continual-dead-window", "paper never, demo 3, quick 3"), ("k", "every preset: 32")] {
            #expect(help[flag]?.contains("(\(values)") == true, "--\(flag): \(help[flag] ?? "missing")")
        }
    }

    @Test("track: an omitted numeric flag takes the preset's value, a given one overrides it")
    func presetFallback() throws {
        let h = try CLIHarness("preset-fallback")
        defer { h.remove() }
        try h.corpus(); try h.series()
        let (status, output) = try h.track()          // --preset quick with steps, d_sae and batch size given
        try #require(status == 0, "\(output.suffix(2000))")
        let config = try TrackState.read(from: URL(fileURLWithPath: h.path("track"))).config
        #expect(config.firstStage.lr == 4e-3 && config.continualStage.lr == 4e-4, "quick's learning rates")
        #expect(config.firstStage.l1Coefficient == 8e-4 && config.continualStage.warmupSteps == 3, "quick's l1 and warm-up")
        #expect(config.firstStage.steps == 10 && config.continualStage.steps == 5, "--first-steps / --continual-steps")
        #expect(config.firstStage.batchSize == 64 && config.firstStage.dSAE == 32, "--batch-size / --d-sae")
    }
}
