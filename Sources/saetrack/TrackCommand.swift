import ArgumentParser
import Foundation
import SAETrack
import SAETrackCLIOptions

/// SAE settings of a track, shared by `saetrack track` and `saetrack train-lm --track`.
/// Defaults are the paper's (Docs/Method.md §4.2); `--preset demo` takes the embedded demo's.
struct TrackOptions: ParsableArguments {
    @Option(name: .long, help: "Hook point, TransformerLens style.") var hook = "blocks.4.hook_resid_pre"
    @Flag(name: .long, help: "Subtract each token's mean over d_model (TransformerLens centring; the paper's SAEs).") var center = false
    @Option(name: .long, help: "Settings preset: paper (Docs/Method.md §4.2), demo (Docs/Demo.md) or quick (a sub-minute smoke test of the demo's). Flags below override it.")
    var preset = TrackPresetChoice.paper
    @Option(name: .customLong("d-sae"), help: "Dictionary size (\(TrackPresetChoice.values(\.dSAE) { $0.map(String.init) ?? "expansion × d_model" })).") var dSAE: Int?
    @Option(name: .long, help: "Expansion factor when --d-sae is not given (\(TrackPresetChoice.values(\.expansion))).") var expansion: Int?
    @Option(name: .customLong("batch-size"), help: "Tokens per SAE step (\(TrackPresetChoice.values(\.batchSize))).") var batchSize: Int?
    @Option(name: .customLong("first-steps"), help: "SAE steps of the from-scratch first stage (\(TrackPresetChoice.values(\.firstSteps)); the paper's are 300M tokens).") var firstSteps: Int?
    @Option(name: .customLong("continual-steps"), help: "SAE steps of each warm-started stage (\(TrackPresetChoice.values(\.continualSteps)); the paper's are 15M tokens).") var continualSteps: Int?
    @Option(name: .customLong("first-lr"), help: "First-stage learning rate (\(TrackPresetChoice.values(\.firstLR))).") var firstLR: Float?
    @Option(name: .customLong("continual-lr"), help: "Continual-stage learning rate (\(TrackPresetChoice.values(\.continualLR))).") var continualLR: Float?
    @Option(name: .customLong("first-warmup"), help: "First-stage warm-up steps (\(TrackPresetChoice.values(\.firstWarmup))).") var firstWarmup: Int?
    @Option(name: .customLong("continual-warmup"), help: "Continual-stage warm-up steps (\(TrackPresetChoice.values(\.continualWarmup))).") var continualWarmup: Int?
    @Option(name: .long, help: "L1 coefficient (\(TrackPresetChoice.values(\.l1Coefficient))).") var l1: Float?
    @Option(name: .customLong("continual-dead-window"),
            help: "Ghost grads in continual stages for features silent for more than N of the stage's steps, or 'never' (the 1e11-step window) (\(TrackPresetChoice.values(\.continualDeadFeatureWindow) { $0.map(String.init) ?? "never" })).")
    var continualDeadWindow: String?
    @Option(name: .long, help: "SAE architecture of every stage: standard (the paper's), topk, batchtopk, jumprelu or matryoshka (needs --matryoshka-widths).") var architecture: SAEArchitecture?
    @Option(name: .customLong("matryoshka-widths"), help: "Matryoshka: increasing prefix widths of the nested levels, comma-separated (d_sae is appended when missing).") var matryoshkaWidths: String?
    @Option(name: .long, help: "TopK / BatchTopK: active latents per token (\(TrackPresetChoice.values(\.k))).") var k: Int?
    @Flag(name: .customLong("use-matryoshka-aux-loss"), help: "Matryoshka: AuxK per level in every stage (SAELens use_matryoshka_aux_loss; default: AuxK on the full reconstruction).") var useMatryoshkaAuxLoss = false
    @Flag(name: .long, help: "TopK, BatchTopK, Matryoshka: every stage selects on pre-activations × decoder row norms and decodes divided by them (SAELens rescale_acts_by_decoder_norm); TopK stages are saved with the option, BatchTopK / Matryoshka stages as JumpReLU with the norms folded in.") var rescaleActsByDecoderNorm = false
    @OptionGroup var jumpReLU: JumpReLUOptions
    @OptionGroup var initialisation: InitOptions
    @Option(name: .customLong("train-rows"), help: "Token rows whose activations train the SAEs (from the start of the token file), held in memory and reused at every checkpoint; ignored with --tokens-per-stage.") var trainRows = 2048
    @Option(name: .customLong("tokens-per-stage"), help: "Stream this many fresh training tokens per continual stage from each checkpoint's LM through the paper's half-refill mixing buffer (sets --continual-steps to ⌈N / batch⌉; memory is bounded by the buffer, not by N). The stream reads every token row except the --eval-rows.") var tokensPerStage: Int?
    @Option(name: .customLong("stage-tokens"), help: "With --tokens-per-stage: same (every stage restarts the stream at the first row with the same shuffle seed: the authors' behaviour) or continue (each stage reads on from where the previous one stopped).") var stageTokens = StageTokens.same
    @Option(name: .customLong("buffer-tokens"), help: "With --tokens-per-stage: half-buffer of the mixing store in activations (paper 262144 = 64 × 32 × 128).") var bufferTokens = 262_144
    @Option(name: .customLong("store-batch-rows"), help: "With --tokens-per-stage: token rows per LM forward call of the stream (paper 32).") var storeBatchRows = 32
    @Option(name: .customLong("eval-rows"), help: "Held-out token rows for evaluation and analysis (from the end of the token file).") var evalRows = 64
    @Option(name: .customLong("baseline-steps"), help: "Checkpoint steps at which to also train a from-scratch SAE (comma-separated; 'last' = the final checkpoint).")
    var baselineSteps = ""
    @Option(name: .customLong("baseline-budget"), help: "cumulative (as many SAE steps as the chain so far) or first-stage.") var baselineBudget = BaselineBudgetChoice.cumulative
    @Option(name: .customLong("baseline-seeds"), help: "From-scratch SAEs per baseline step, each with its own seed: 2 or more measure the seed-noise floor there (pairwise dictionary MCC, Docs/Method.md §8.4). Fixed for the track: a rerun must pass the same number.")
    var baselineSeeds = 1
    @Option(name: .customLong("baseline-seed-steps"), help: "With --baseline-seeds S: the baseline steps that get all S seeds (comma-separated; 'last' = the final checkpoint); the other baseline steps get one SAE each, e.g. independent SAEs at many checkpoints beside a seed floor at the last (default: every baseline step gets S).")
    var baselineSeedSteps = ""
    @Option(name: .customLong("checkpoint-every"), help: "Save a resumable trainer state every N SAE steps.") var checkpointEvery = 100
    @Option(name: .customLong("sae-seed"), help: "Seed of SAE initialisation and batch order.") var seed: UInt64 = 42
    @Option(name: .long, help: "tokenizer.json, recorded for decoding feature cards in `analyze`.") var tokenizer: String?

    /// The settings after applying the preset and the flags.
    func settings() throws -> TrackSettings {
        var s = preset.settings
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
        if let continualDeadWindow {
            if continualDeadWindow == "never" { s.continualDeadFeatureWindow = nil }
            else if let w = Int(continualDeadWindow), w >= 0 { s.continualDeadFeatureWindow = w }
            else { throw ValidationError("--continual-dead-window must be a whole number of steps ≥ 0 or 'never' (got \(continualDeadWindow))") }
        }
        if let architecture { s.architecture = architecture }
        s.matryoshkaWidths = try MatryoshkaWidthsOption.parse(matryoshkaWidths, architecture: s.architecture)
        if let k { s.k = k }
        try ArchitectureOptions.check(rescaleActsByDecoderNorm: rescaleActsByDecoderNorm,
                                      useMatryoshkaAuxLoss: useMatryoshkaAuxLoss, architecture: s.architecture)
        if useMatryoshkaAuxLoss { s.useMatryoshkaAuxLoss = true }
        if rescaleActsByDecoderNorm { s.rescaleActsByDecoderNorm = true }
        try jumpReLU.check(architecture: s.architecture)
        s.jumpReLU = try jumpReLU.training()
        s.initialisation = initialisation.choices
        s.seed = seed
        if let tokensPerStage {
            if continualSteps != nil { throw ValidationError("--tokens-per-stage sets the continual stages' steps; do not also give --continual-steps") }
            let stream = TrackStream(tokensPerStage: tokensPerStage, halfBufferTokens: bufferTokens, storeBatchRows: storeBatchRows,
                                     stageTokens: stageTokens)
            if let problem = stream.problems().first { throw ValidationError(problem) }
            s.stream = stream
            s.continualSteps = stream.steps(batchSize: s.batchSize)
        } else if stageTokens != .same || bufferTokens != 262_144 || storeBatchRows != 32 {
            throw ValidationError("--stage-tokens, --buffer-tokens and --store-batch-rows need --tokens-per-stage")
        }
        return s
    }

    func budget() -> BaselineBudget { baselineBudget.budget }

    /// `--baseline-seeds`, checked: at least 1, and more than 1 only with baseline steps.
    func seeds() throws -> Int {
        guard baselineSeeds >= 1 else { throw ValidationError("--baseline-seeds must be at least 1 (got \(baselineSeeds))") }
        if baselineSeeds > 1 && baselineSteps.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--baseline-seeds \(baselineSeeds) needs --baseline-steps (the checkpoints at which to train the seeds)")
        }
        return baselineSeeds
    }

    /// Baseline steps; "last" resolves to `lastStep`.
    func baselines(lastStep: Int?) throws -> [Int] {
        try Self.steps(baselineSteps, option: "--baseline-steps", lastStep: lastStep)
    }

    /// `--baseline-seed-steps` (nil when not given), each one of the baseline steps.
    func seedSteps(lastStep: Int?) throws -> [Int]? {
        guard !baselineSeedSteps.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        guard baselineSeeds > 1 else { throw ValidationError("--baseline-seed-steps needs --baseline-seeds 2 or more") }
        let steps = try Self.steps(baselineSeedSteps, option: "--baseline-seed-steps", lastStep: lastStep)
        let baselines = try baselines(lastStep: lastStep)
        if let stray = steps.first(where: { !baselines.contains($0) }) {
            throw ValidationError("--baseline-seed-steps: \(stray) is not one of --baseline-steps \(baselineSteps)")
        }
        return steps
    }

    /// A comma-separated step list; "last" resolves to `lastStep`.
    private static func steps(_ list: String, option: String, lastStep: Int?) throws -> [Int] {
        try list.split(separator: ",").map { item in
            let t = item.trimmingCharacters(in: .whitespaces)
            if t == "last", let lastStep { return lastStep }
            guard let v = Int(t) else { throw ValidationError("\(option): '\(t)' is not a step") }
            return v
        }
    }

    /// The activation provider for `tokensFile` with disjoint train/eval rows, and the evaluation inputs to record.
    func provider(tokensFile: String) throws -> (LMActivationProvider, EvaluationInputs) {
        try provider(tokens: TokenDataset(contentsOf: URL(fileURLWithPath: tokensFile)), file: tokensFile)
    }

    /// The same from a token file already read.
    func provider(tokens rows: TokenDataset, file tokensFile: String) throws -> (LMActivationProvider, EvaluationInputs) {
        guard rows.rows > evalRows else {
            throw ValidationError("\(tokensFile) has \(rows.rows) rows; need more than --eval-rows \(evalRows)")
        }
        let train = 0..<(tokensPerStage != nil ? rows.rows - evalRows : min(trainRows, rows.rows - evalRows))
        let eval = (rows.rows - evalRows)..<rows.rows
        var p = LMActivationProvider(tokens: rows.tokens, context: rows.context, trainRows: train, evalRows: eval,
                                     hook: try HookPoint(name: hook), centered: center)
        if tokensPerStage != nil { p.streamBlockRows = storeBatchRows }
        let inputs = EvaluationInputs(tokens: Array(rows.tokens[(eval.lowerBound * rows.context)...]), context: rows.context,
                                      tokenizer: tokenizer.map { URL(fileURLWithPath: $0).standardizedFileURL.path })
        return (p, inputs)
    }

    /// Live tracking into `directory` while an LM writes `series` (train-lm --track).
    func liveTrack(directory: String, series: String, tokensFile: String, lastStep: Int?) throws -> LiveTrack {
        let (p, inputs) = try provider(tokensFile: tokensFile)
        let live = LiveTrack(directory: URL(fileURLWithPath: directory), series: URL(fileURLWithPath: series).standardizedFileURL,
                             settings: try settings(), hook: hook, centered: center, provider: p,
                             baselineSteps: try baselines(lastStep: lastStep), baselineBudget: budget(), baselineSeeds: try seeds(),
                             baselineSeedSteps: try seedSteps(lastStep: lastStep), checkpointEvery: checkpointEvery)
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
            tensors of the previous one with the continual settings and a fresh Adam (Docs/Method.md §5.1). \
            Writes <out>/track.json, track.log (every line printed, UTC-stamped), saes/step{N}/ (SAELens layout), logs/, cache/ (held-out activations for \
            `analyze`). Killed at any moment, the same command continues from the last saved state and ends \
            with identical files (track.log aside: it records every attempt). By default each checkpoint is run through the language model once over \
            --train-rows rows, whose activations (held in memory) serve the chain stage, the baseline and the \
            evaluation. With --tokens-per-stage N each stage instead streams N fresh tokens from its checkpoint's \
            LM through the paper's half-refill mixing buffer (Docs/Method.md §2.4), with memory bounded by the \
            buffer; --stage-tokens chooses whether every stage reads the same tokens (the authors') or continues \
            the stream. The buffer's state is part of every saved trainer state, so a stage killed midway resumes \
            exactly.
            """
    )

    @Option(name: .long, help: "Checkpoint series directory (step{N}/ or checkpoint-{N}/ model directories).") var series: String
    @Option(name: .long, help: "Token file: safetensors `tokens` I32 [rows, context].") var tokens: String
    @Option(name: .long, help: "Track directory to write (resumed if it holds a track).") var out: String
    @Option(name: .long, help: "Checkpoint steps to use (comma-separated; default: every checkpoint in the series).") var steps: String?
    @Option(name: .long, help: "Chain order: forward (from the earliest step, as published) or backward.") var order = TrackOrder.forward
    @OptionGroup var options: TrackOptions
    @OptionGroup var resume: ResumeOptions

    func run() throws {
        let seriesURL = URL(fileURLWithPath: series).standardizedFileURL
        let outURL = URL(fileURLWithPath: out).standardizedFileURL
        for line in try OutputDirectory.removeInterruptedWrites(in: outURL) { StandardError.writeLine("track: \(line) (left by an interrupted write)") }
        var series = try CheckpointSeries(seriesURL)
        var chosen = series.checkpoints.map(\.step)
        if let steps {
            let wanted = try steps.split(separator: ",").map { s -> Int in
                guard let v = Int(s.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--steps: '\(s)' is not a step") }
                return v
            }
            for s in wanted where !chosen.contains(s) { throw TrackError.missingCheckpoint(step: s, series: seriesURL.path) }
            chosen = wanted
        }
        let trackOrder = order
        let used = series.checkpoints.filter { chosen.contains($0.step) }

        // Preflight, before anything is written: every checkpoint's headers and config against the
        // first's, the hook, the tokens against the vocabulary, the tokenizer, the output directory.
        let configs = try Preflight.check(checkpoints: used)
        let firstConfig = configs[used[0].step]!
        let hookPoint = try HookPoint(name: options.hook)
        try Preflight.check(hook: hookPoint, in: firstConfig, model: used[0].url.path)
        let tokenData = try TokenDataset(contentsOf: URL(fileURLWithPath: tokens))
        try Preflight.check(tokens: tokenData, file: tokens, fit: firstConfig, model: used[0].url.path)
        if let t = options.tokenizer { try Preflight.check(tokenizer: t) }
        try OutputDirectory.requireWritable(outURL)
        // Every line from here on also goes to <out>/track.log (kept by --restart: a record of every
        // attempt), once the run is accepted: a refused rerun leaves the track exactly as it was.
        var early = ["track: " + CommandLine.arguments.dropFirst().joined(separator: " ")]
        let say = { (line: String) in StandardError.writeLine(line); early.append(line) }

        // Fingerprint: token file, tokenizer, every checkpoint, SAETrack version (the settings are
        // compared field by field with track.json's configuration).
        var fingerprint = RunFingerprint()
        try fingerprint.addFile("tokens", URL(fileURLWithPath: tokens))
        if let t = options.tokenizer { try fingerprint.addFile("tokenizer", URL(fileURLWithPath: t)) }
        // Every byte of every checkpoint's weights is hashed (a replaced or edited checkpoint must
        // be caught before work resumes); the cost is printed.
        var digests: [Int: String] = [:]
        let hashStart = Date()
        var hashedBytes = 0
        for c in used {
            try fingerprint.addCheckpoint("checkpoint step \(c.step)", c.url)
            digests[c.step] = fingerprint.inputs["checkpoint step \(c.step)"]!.sha256
            hashedBytes += try RunFingerprint.checkpointBytes(c.url)
        }
        let hashSeconds = Date().timeIntervalSince(hashStart)
        say("fingerprint: \(used.count) checkpoints, \(CostEstimate.compact(Double(hashedBytes)))B of weights hashed (SHA-256) in "
                   + String(format: "%.2f s", hashSeconds))
        if resume.restart { try Self.removeTrack(in: outURL) }
        // Compared only when the track holds work (a stage started); otherwise nothing is at stake.
        let hasWork = TrackState.exists(in: outURL) && !((try? TrackState.read(from: outURL))?.hasNoWork(in: outURL) ?? false)
        let changed = hasWork ? try resume.check(fingerprint, in: outURL, command: "track", growable: ["checkpoint step "]) : []
        for c in changed { say("warning: continuing with a changed input: \(c)") }
        try series.warnAboutIdenticalWeights(among: used.map(\.step), candidates: digests)
        var warnings = series.warnings
        warnings += changed.map { "resumed with a changed input (--resume-changed): \($0)" }
        for w in warnings { say("warning: \(w)") }

        let (provider, inputs) = try options.provider(tokens: tokenData, file: tokens)
        let dIn = firstConfig.dModel
        let ordered = trackOrder == .forward ? chosen.sorted() : chosen.sorted(by: >)
        let config = try options.settings().trackConfig(
            series: seriesURL.path, hook: options.hook, centered: options.center, dIn: dIn, steps: ordered, order: trackOrder,
            baselineSteps: options.baselines(lastStep: chosen.max()), baselineBudget: options.budget(), baselineSeeds: options.seeds(),
            baselineSeedSteps: options.seedSteps(lastStep: chosen.max()), checkpointEvery: options.checkpointEvery)
        let urls = Dictionary(uniqueKeysWithValues: series.checkpoints.map { ($0.step, $0.url) })
        let run = try SAETrackRun(directory: outURL, config: config, checkpoints: urls, provider: provider,
                                  modelName: seriesURL.lastPathComponent, warnings: warnings,
                                  acceptingSafeChanges: resume.resumeChanged)
        let log = try RunLog(appendingTo: outURL.appendingPathComponent(Self.logFile))
        for line in early { log.record(line) }
        for c in run.acceptedChanges { log.write("warning: continuing with a changed setting: \(c.setting): \(c.old) → \(c.new)") }
        try fingerprint.write(to: outURL)
        try inputs.write(to: outURL)
        log.write("track: \(ordered.count) checkpoints, d_in \(dIn), d_sae \(config.firstStage.dSAE), \(Threads.count) threads")
        let f = config.firstStage
        log.write("track: first stage " + SAEInitChoices.Resolved(weightInit: f.weightInit, bDecInit: f.bDecInit, clipGradNorm: f.clipGradNorm).summary
                   + "; continual stages clip grad norm " + (config.continualStage.clipGradNorm.map { "\($0)" } ?? "none"))
        try Self.printCost(run.state, provider: provider, checkpoint: used[0].url, log: log)
        run.progress = log.write
        // Fault injection for the tests (as train-sae's): SIGKILL this process once a trainer
        // state at SAE step ≥ N has been saved, as a crash would.
        if let killAt = ProcessInfo.processInfo.environment["SAETRACK_FAULT_KILL_AT_STEP"].flatMap({ Int($0) }) {
            run.stopAt = { event in
                if case let .trainerStateSaved(_, saeStep, _, _) = event, saeStep >= killAt { kill(getpid(), SIGKILL) }
                return false
            }
        }
        try run.run()
        log.record("track: finished")
        print("track finished: \(outURL.appendingPathComponent(TrackState.fileName).path)")
        print("next: saetrack analyze --track \(out) --out \(out)/analysis")
    }

    /// The track's run log in its directory: every line the run prints to standard error, UTC-stamped.
    static let logFile = "track.log"

    /// Files and directories of a track (removed by --restart).
    static func removeTrack(in directory: URL) throws {
        for name in [TrackState.fileName, RunFingerprint.fileName, TrackCompute.fileName, "saes", "baselines", "cache", "logs", "state"] {
            let u = directory.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: u.path) { try FileManager.default.removeItem(at: u) }
        }
    }

    /// The cost lines of the unfinished stages: SAE steps, tokens, epochs, LM passes, and the time a
    /// short measured probe predicts: real SAE training steps at the run's d_in × d_sae, extrapolated
    /// to its batch (``CostEstimate/probeSAESteps(_:rows:budget:maxSteps:)``, ≈ 1 s) and one LM forward over 128
    /// tokens of the first checkpoint (``CostEstimate/probeLMForward(_:tokens:hook:centered:probeTokens:)``).
    static func printCost(_ state: TrackState, provider: LMActivationProvider, checkpoint: URL, log: RunLog) throws {
        let pendingBaseline = Set(state.baselines.filter { $0.status != .done }.map(\.step))
        let todo = state.stages.enumerated().filter { $0.element.status != .done || pendingBaseline.contains($0.element.step) }
        guard !todo.isEmpty else { return }
        let dataTokens = provider.trainRows.count * provider.context
        let first = state.config.stageConfig(index: 0)
        var steps = 0
        var streamed = 0                       // activations the LM produces for the streamed runs
        for (i, stage) in todo where stage.status != .done {
            let n = state.config.stageConfig(index: i).steps
            steps += n
            streamed += state.config.stream?.producedTokens(steps: n, batchSize: first.batchSize) ?? 0
        }
        for b in state.baselines where b.status != .done {
            steps += b.trainingSteps
            streamed += state.config.stream?.producedTokens(steps: b.trainingSteps, batchSize: first.batchSize) ?? 0
        }
        // Both stage kinds share the shape and architecture; their learning rates do not change the time.
        let sae = try CostEstimate.probeSAESteps(todo.contains { $0.offset == 0 } ? first : state.config.continualStage)
        let loadStart = Date()
        let lm = try TransformerLM(directory: checkpoint)
        let load = Date().timeIntervalSince(loadStart)
        let lmProbe = CostEstimate.probeLMForward(lm, tokens: provider.tokens, hook: provider.hook, centered: provider.centered)
        let streaming = state.config.stream
        let passTokens = (streaming == nil ? provider.trainRows.count + provider.evalRows.count : provider.evalRows.count) * provider.context
        let lmTokens = Double(todo.count * passTokens + streamed)
        let lmSeconds = Double(todo.count) * load + lmTokens * lmProbe.secondsPerUnit
        let saeSeconds = Double(steps) * sae.secondsPerUnit
        if let streaming {
            let held = 2 * streaming.halfBufferTokens * state.dIn * 4
            log.write("cost: \(todo.count) stage(s) to run: " + CostEstimate.line(steps: steps, batchSize: first.batchSize, dataTokens: dataTokens)
                       + "; the LM streams \(CostEstimate.compact(Double(streamed))) activations through the mixing buffer "
                       + "(\(streaming.tokensPerStage) tokens per continual stage, stage tokens: \(streaming.stageTokens.rawValue); "
                       + "buffer 2 × \(streaming.halfBufferTokens) activations ≈ \(CostEstimate.compact(Double(held)))B) "
                       + "and \(todo.count) evaluation pass(es) over \(CostEstimate.compact(Double(passTokens))) tokens")
        } else {
            log.write("cost: \(todo.count) stage(s) to run: " + CostEstimate.line(steps: steps, batchSize: first.batchSize, dataTokens: dataTokens)
                       + ", and \(todo.count) LM pass(es) over \(CostEstimate.compact(Double(passTokens))) tokens")
        }
        if todo.contains(where: { $0.offset == 0 && $0.element.status != .done }) {
            log.write("cost: the first stage alone is \(first.steps) SAE steps ≈ " + CostEstimate.duration(Double(first.steps) * sae.secondsPerUnit))
        }
        log.write("estimate: ≈ " + CostEstimate.duration(saeSeconds + lmSeconds) + " on \(Threads.count) threads: "
                   + CostEstimate.duration(saeSeconds) + " of SAE training + " + CostEstimate.duration(lmSeconds) + " of LM passes "
                   + String(format: "(probe: %d SAE training steps ⇒ %.3g s per step of %d tokens, LM load %.2f s and %.3g ms per token over %d tokens; %.1f s in all; "
                            + "the first steps of a fresh SAE and long-context attention run slower)",
                            sae.unitsTimed, sae.secondsPerUnit, first.batchSize, load, lmProbe.secondsPerUnit * 1000, lmProbe.unitsTimed,
                            sae.probeSeconds + load + lmProbe.probeSeconds))
    }
}
