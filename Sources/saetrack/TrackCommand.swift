import ArgumentParser
import Foundation
import SAETrack

/// SAE settings of a track, shared by `saetrack track` and `saetrack train-lm --track`.
/// Defaults are the paper's (method.md §4.2); `--preset demo` takes the embedded demo's.
struct TrackOptions: ParsableArguments {
    @Option(name: .long, help: "Hook point, TransformerLens style.") var hook = "blocks.4.hook_resid_pre"
    @Flag(name: .long, help: "Subtract each token's mean over d_model (TransformerLens centring; the paper's SAEs).") var center = false
    @Option(name: .long, help: "Settings preset: paper (method.md §4.2) or demo (demo-design.md). Flags below override it.")
    var preset = "paper"
    @Option(name: .customLong("d-sae"), help: "Dictionary size (default: expansion × d_model).") var dSAE: Int?
    @Option(name: .long, help: "Expansion factor when --d-sae is not given.") var expansion: Int?
    @Option(name: .customLong("batch-size"), help: "Tokens per SAE step.") var batchSize: Int?
    @Option(name: .customLong("first-steps"), help: "SAE steps of the from-scratch first stage (paper: 73243 = 300M tokens).") var firstSteps: Int?
    @Option(name: .customLong("continual-steps"), help: "SAE steps of each warm-started stage (paper: 3663 = 15M tokens).") var continualSteps: Int?
    @Option(name: .customLong("first-lr"), help: "First-stage learning rate (paper 4e-4).") var firstLR: Float?
    @Option(name: .customLong("continual-lr"), help: "Continual-stage learning rate (paper 4e-5).") var continualLR: Float?
    @Option(name: .customLong("first-warmup"), help: "First-stage warm-up steps (paper 5000).") var firstWarmup: Int?
    @Option(name: .customLong("continual-warmup"), help: "Continual-stage warm-up steps (paper 3).") var continualWarmup: Int?
    @Option(name: .long, help: "L1 coefficient (paper 8e-5).") var l1: Float?
    @Option(name: .customLong("train-rows"), help: "Token rows whose activations train the SAEs (from the start of the token file).") var trainRows = 2048
    @Option(name: .customLong("eval-rows"), help: "Held-out token rows for evaluation and analysis (from the end of the token file).") var evalRows = 64
    @Option(name: .customLong("baseline-steps"), help: "Checkpoint steps at which to also train a from-scratch SAE (comma-separated; 'last' = the final checkpoint).")
    var baselineSteps = ""
    @Option(name: .customLong("baseline-budget"), help: "cumulative (as many SAE steps as the chain so far) or first-stage.") var baselineBudget = "cumulative"
    @Option(name: .customLong("checkpoint-every"), help: "Save a resumable trainer state every N SAE steps.") var checkpointEvery = 100
    @Option(name: .customLong("sae-seed"), help: "Seed of SAE initialisation and batch order.") var seed: UInt64 = 42
    @Option(name: .long, help: "tokenizer.json, recorded for decoding feature cards in `analyze`.") var tokenizer: String?

    /// The settings after applying the preset and the flags.
    func settings() throws -> TrackSettings {
        var s: TrackSettings
        switch preset {
        case "paper": s = .paper
        case "demo": s = .demo
        case "quick": s = .quick
        default: throw ValidationError("--preset must be paper, demo or quick (got \(preset))")
        }
        if let dSAE { s.dSAE = dSAE }
        if let expansion { s.expansion = expansion; if dSAE == nil { s.dSAE = nil } }
        if let batchSize { s.batchSize = batchSize }
        if let firstSteps { s.firstSteps = firstSteps }
        if let continualSteps { s.continualSteps = continualSteps }
        if let firstLR { s.firstLR = firstLR }
        if let continualLR { s.continualLR = continualLR }
        if let firstWarmup { s.firstWarmup = firstWarmup }
        if let continualWarmup { s.continualWarmup = continualWarmup }
        if let l1 { s.l1Coefficient = l1 }
        s.seed = seed
        return s
    }

    func budget() throws -> BaselineBudget {
        switch baselineBudget {
        case "cumulative": return .cumulative
        case "first-stage": return .firstStage
        default: throw ValidationError("--baseline-budget must be cumulative or first-stage (got \(baselineBudget))")
        }
    }

    /// Baseline steps; "last" resolves to `lastStep`.
    func baselines(lastStep: Int?) throws -> [Int] {
        try baselineSteps.split(separator: ",").map { item in
            let t = item.trimmingCharacters(in: .whitespaces)
            if t == "last", let lastStep { return lastStep }
            guard let v = Int(t) else { throw ValidationError("--baseline-steps: '\(t)' is not a step") }
            return v
        }
    }

    /// The activation provider for `tokensFile` with disjoint train/eval rows, and the evaluation inputs to record.
    func provider(tokensFile: String) throws -> (LMActivationProvider, EvaluationInputs) {
        let rows = try TokenDataset(contentsOf: URL(fileURLWithPath: tokensFile))
        guard rows.rows > evalRows else {
            throw ValidationError("\(tokensFile) has \(rows.rows) rows; need more than --eval-rows \(evalRows)")
        }
        let train = 0..<min(trainRows, rows.rows - evalRows)
        let eval = (rows.rows - evalRows)..<rows.rows
        let p = LMActivationProvider(tokens: rows.tokens, context: rows.context, trainRows: train, evalRows: eval,
                                     hook: try HookPoint(name: hook), centered: center)
        let inputs = EvaluationInputs(tokens: Array(rows.tokens[(eval.lowerBound * rows.context)...]), context: rows.context,
                                      tokenizer: tokenizer.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
        return (p, inputs)
    }

    /// Live tracking into `directory` while an LM writes `series` (train-lm --track).
    func liveTrack(directory: String, series: String, tokensFile: String, lastStep: Int?) throws -> LiveTrack {
        let (p, inputs) = try provider(tokensFile: tokensFile)
        let live = LiveTrack(directory: URL(fileURLWithPath: directory), series: URL(fileURLWithPath: series).standardizedFileURL,
                             settings: try settings(), hook: hook, centered: center, provider: p,
                             baselineSteps: try baselines(lastStep: lastStep), baselineBudget: try budget(),
                             checkpointEvery: checkpointEvery)
        live.evaluationInputs = inputs
        return live
    }
}

/// `saetrack track`: the SAE-Track chain over a checkpoint series, resumable.
struct TrackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Train the SAE-Track chain over a checkpoint series (resumable: rerun the same command to continue).",
        discussion: """
            SAE[first] is trained from scratch with the first-stage settings; each next SAE starts from all four \
            tensors of the previous one with the continual settings and a fresh Adam (method.md §5.1). \
            Writes <out>/track.json, saes/step{N}/ (SAELens layout), logs/, cache/ (held-out activations for \
            `analyze`). Killed at any moment, the same command continues from the last saved state and ends \
            with identical files. Each checkpoint is run through the language model once; its activations serve \
            the chain stage, the baseline and the evaluation.
            """
    )

    @Option(name: .long, help: "Checkpoint series directory (step{N}/ or checkpoint-{N}/ model directories).") var series: String
    @Option(name: .long, help: "Token file: safetensors `tokens` I32 [rows, context].") var tokens: String
    @Option(name: .long, help: "Track directory to write (resumed if it holds a track).") var out: String
    @Option(name: .long, help: "Checkpoint steps to use (comma-separated; default: every checkpoint in the series).") var steps: String?
    @Option(name: .long, help: "Chain order: forward (from the earliest step, as published) or backward.") var order = "forward"
    @OptionGroup var options: TrackOptions

    func run() throws {
        let seriesURL = URL(fileURLWithPath: series).standardizedFileURL
        let series = try CheckpointSeries(seriesURL)
        for w in series.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
        var chosen = series.checkpoints.map(\.step)
        if let steps {
            let wanted = try steps.split(separator: ",").map { s -> Int in
                guard let v = Int(s.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--steps: '\(s)' is not a step") }
                return v
            }
            for s in wanted where !chosen.contains(s) { throw TrackError.missingCheckpoint(step: s, series: seriesURL.path) }
            chosen = wanted
        }
        guard let trackOrder = TrackOrder(rawValue: order) else { throw ValidationError("--order must be forward or backward") }
        let (provider, inputs) = try options.provider(tokensFile: tokens)
        let first = series.checkpoints.first!.url
        let dIn = try ModelConfig.load(from: first.appendingPathComponent("config.json")).dModel
        let ordered = trackOrder == .forward ? chosen.sorted() : chosen.sorted(by: >)
        let config = try options.settings().trackConfig(
            series: seriesURL.path, hook: options.hook, centered: options.center, dIn: dIn, steps: ordered, order: trackOrder,
            baselineSteps: options.baselines(lastStep: chosen.max()), baselineBudget: options.budget(),
            checkpointEvery: options.checkpointEvery)
        let outURL = URL(fileURLWithPath: out)
        let urls = Dictionary(uniqueKeysWithValues: series.checkpoints.map { ($0.step, $0.url) })
        let run = try SAETrackRun(directory: outURL, config: config, checkpoints: urls, provider: provider,
                                  modelName: seriesURL.lastPathComponent, warnings: series.warnings)
        try inputs.write(to: outURL)
        FileHandle.standardError.write(Data("track: \(ordered.count) checkpoints, d_in \(dIn), d_sae \(config.firstStage.dSAE), \(Threads.count) threads\n".utf8))
        try run.run()
        print("track finished: \(outURL.appendingPathComponent(TrackState.fileName).path)")
        print("next: saetrack analyze --track \(out) --out \(out)/analysis")
    }
}
