import ArgumentParser
import Foundation
import Testing
import SAETrack
import SAETrackCLIOptions

/// `TrainSAEOptions`, the options `saetrack train-sae` and `saetrack-mpi train-sae` both parse:
/// every choice is an enum whose values ArgumentParser lists and checks, each value reaches the
/// library's setting, and the fingerprint keeps the strings recorded when the choices were strings.
@Suite("train-sae options")
struct TrainSAEOptionsTests {
    /// The smallest valid command line (no file is read while parsing).
    static let base = ["--activations", "acts.safetensors", "--out", "sae"]

    static func parse(_ extra: [String]) throws -> TrainSAEOptions {
        try TrainSAEOptions.parse(base + extra)
    }

    /// The message ArgumentParser prints for `extra`, which must not parse.
    static func refusal(_ extra: [String]) -> String {
        do {
            _ = try parse(extra)
            return "parsed"
        } catch {
            return TrainSAEOptions.message(for: error)
        }
    }

    @Test("a wrong choice is refused with the valid values listed", arguments: [
        (["--stage", "middle"], "'first' and 'continual'"),
        (["--schedule", "cosine"], "'constant' and 'linear-decay'"),
        (["--loss", "l2"], "'sae-track' and 'saelens'"),
        (["--decoder-norm", "fixed"], "'unit' and 'free'"),
        (["--cache", "c", "--cache-dtype", "f64"], "'f32', 'f16' or 'bf16'"),
        (["--architecture", "relu"], "'standard', 'topk', 'batchtopk', 'jumprelu' or 'matryoshka'"),
        (["--architecture", "jumprelu", "--jumprelu-sparsity", "cubic"], "'step', 'quadratic' or 'tanh'"),
        (["--weight-init", "xavier"], "'auto', 'sae-track' or 'saelens'"),
    ])
    func wrongChoice(_ extra: [String], _ listed: String) {
        let message = Self.refusal(extra)
        #expect(message.contains("The value '\(extra.last!)' is invalid for '\(extra[extra.count - 2])"), "\(message)")
        #expect(message.contains("Please provide one of \(listed)"), "\(message)")
    }

    @Test("--help lists every choice and states each default once")
    func helpListsChoices() {
        let help = TrainSAEOptions.helpMessage(columns: 10_000)
        for listed in ["(values: first, continual; default: first)", "(values: constant, linear-decay; default: constant)",
                       "(values: sae-track, saelens; default: sae-track)", "(values: unit, free; default: unit)",
                       "(values: f32, f16, bf16; default: f32)",
                       "(values: standard, topk, batchtopk, jumprelu, matryoshka; default: standard)",
                       "(values: step, quadratic, tanh; default: step)"] {
            #expect(help.contains(listed), "\(listed)")
        }
        // No help text spells a default that ArgumentParser appends as well.
        for line in help.split(separator: "\n") where line.contains("(default: ") {
            #expect(!line.contains("(default ") && !line.contains("(SAE-Track 262144)"), "\(line)")
        }
    }

    @Test("--cache-dtype and --dtype take any case and name the library's storage")
    func cacheDType() throws {
        for (text, dtype) in [("f32", ActivationDType.f32), ("f16", .f16), ("F16", .f16), ("bf16", .bf16), ("BF16", .bf16)] {
            #expect(try Self.parse(["--cache", "c", "--cache-dtype", text]).cacheDType.dtype == dtype)
            #expect(ActivationDTypeChoice(argument: text)?.dtype == ActivationDType(name: text))
        }
        #expect(try Self.parse([]).cacheDType == .f32)
        #expect(Self.refusal(["--cache-dtype", "f16"]).contains("--cache-dtype needs --cache"))
    }

    @Test("each value of a choice reaches the training config")
    func choicesReachTheConfig() throws {
        let standard = try Self.parse([]).trainingConfig(dIn: 8)
        #expect(standard.architecture == .standard && standard.schedule == .constantWithWarmup)
        #expect(standard.mseMode == .saeTrack && standard.decoderNormMode == .unitNorm && standard.l1Mode == .plain)
        let first = SAETrainingConfig.firstStage(dIn: 8, dSAE: 512, tokens: 300_000_000, batchSize: 4096, seed: 42)
        #expect(standard.lr == first.lr && standard.warmupSteps == first.warmupSteps && standard.steps == first.steps)

        let continual = try Self.parse(["--stage", "continual", "--init", "previous-sae"]).trainingConfig(dIn: 8)
        let stage = SAETrainingConfig.continualStage(dIn: 8, dSAE: 512, tokens: 15_000_000, batchSize: 4096, seed: 42)
        #expect(continual.lr == stage.lr && continual.warmupSteps == stage.warmupSteps && continual.steps == stage.steps)
        #expect(Self.refusal(["--stage", "continual"]).contains("--stage continual needs --init"))

        #expect(try Self.parse(["--schedule", "linear-decay"]).trainingConfig(dIn: 8).schedule == .warmupLinearDecay)
        let saeLens = try Self.parse(["--loss", "saelens"]).trainingConfig(dIn: 8)
        #expect(saeLens.mseMode == .saeLens && saeLens.l1Mode == .decoderNormWeighted && !saeLens.removeParallelGradient)
        let free = try Self.parse(["--decoder-norm", "free"]).trainingConfig(dIn: 8)
        #expect(free.decoderNormMode == .free && free.l1Mode == .decoderNormWeighted && free.mseMode == .saeTrack)

        for architecture in SAEArchitecture.allCases {
            let widths = architecture == .matryoshka ? ["--matryoshka-widths", "16,64"] : []
            let config = try Self.parse(["--architecture", architecture.rawValue] + widths).trainingConfig(dIn: 8)
            #expect(config.architecture == architecture)
        }
        for sparsity in SAEJumpReLUSparsity.allCases {
            let target = sparsity == .quadratic ? ["--target-l0", "5"] : []
            let options = try Self.parse(["--architecture", "jumprelu", "--jumprelu-sparsity", sparsity.rawValue] + target)
            #expect(try options.trainingConfig(dIn: 8).jumpReLUSparsity == sparsity)
        }
        #expect(Self.refusal(["--jumprelu-sparsity", "tanh"]).contains("--jumprelu-sparsity is a jumprelu option"))
    }

    /// The settings entry the string-typed options recorded for the same command line, written
    /// out by hand from their formula: a run fingerprinted before the enums must still match.
    @Test("the fingerprint records the choices as the strings it always did")
    func fingerprintKeepsTheStrings() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-options-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let acts = dir.appendingPathComponent("acts.safetensors")
        try Data("not read, only hashed".utf8).write(to: acts)
        let options = try TrainSAEOptions.parse([
            "--activations", acts.path, "--out", dir.appendingPathComponent("sae").path, "--architecture", "jumprelu",
            "--jumprelu-sparsity", "quadratic", "--target-l0", "5", "--schedule", "linear-decay", "--loss", "saelens",
            "--decoder-norm", "free", "--cache", "c", "--cache-dtype", "BF16", "--no-shuffle",
        ])
        let recorded = ["", "first", "false", "false", "jumprelu", "32", "-1", "64", "-1", "-1", "4096", "-1.0", "-1",
                        "linear-decay", "0", "0.0", "-1.0", "0", "saelens", "free", "true", "-1", "-1", "0.0",
                        "262144", "16", "4096", "42",
                        "jumprelu 0.05 0.01 1.0 0 quadratic 5.0 4.0 off false"]
            + options.initialisation.fingerprint(architecture: .jumprelu, mseMode: .saeLens)
            + ["cache dtype bf16", "no shuffle"]
        var expected = RunFingerprint()
        try expected.addFile("activations", acts)
        try expected.addSettings("settings", recorded)
        #expect(try options.fingerprint() == expected)
    }
}
