import Foundation
import SAETrackCore
import SAETrackIO
import SAETrackSAE

/// The SAE-Track chain (Docs/Method.md §5.1) over a checkpoint series, resumable at any point.
///
/// Stage 0 trains an SAE from scratch on the first checkpoint with the first-stage settings; every
/// next stage loads all four tensors of the previous SAE and trains on its checkpoint with the
/// continual settings and a fresh Adam. Feature i of every SAE is feature i of the chain.
///
/// Track directory:
/// ```
/// track.json                       config, stages (status, log, metrics), baselines, warnings
/// saes/step{N}/                    SAELens layout: cfg.json + sae_weights.safetensors
/// baselines/step{N}/               from-scratch SAEs at the baseline checkpoints (seed index 0)
/// baselines/step{N}-seed{k}/       the other seeds' (`baselineSeeds` > 1: the seed-noise floor)
/// cache/eval-step{N}.safetensors   `activations` (N_eval, d_in): held-out activations for analysis
/// state/...                        resumable trainer states of unfinished runs (removed when done)
/// logs/step{N}.csv                 full training logs (with throughput); logs/baseline-step{N}[-seed{k}].csv
/// ```
/// Every file is written atomically and `track.json` is updated only after the files it refers
/// to exist, so a run killed at any moment and restarted ends with the same files as an
/// uninterrupted one (training is seeded and deterministic for a fixed thread count).
public final class SAETrackRun {
    public let directory: URL
    public private(set) var state: TrackState
    public let provider: any CheckpointActivationProvider
    /// Name recorded as the model in SAE provenance.
    public var modelName: String
    /// Progress lines (stderr by default).
    public var progress: (String) -> Void = StandardError.writeLine
    /// Called at every consistent point; returning true stops the run there with
    /// `TrackError.interrupted` (a simulated kill).
    public var stopAt: ((TrackEvent) -> Bool)?
    /// Keep the evaluation-activation cache (needed by `analyze`).
    public var writeEvaluationCache = true
    /// Safe setting changes accepted when this run resumed (see `init`'s `acceptingSafeChanges`).
    public private(set) var acceptedChanges: [TrackConfigChange] = []

    /// Opens the track in `directory`: resumes it when `track.json` exists (the configuration must
    /// match), otherwise starts a new one. `checkpoints` maps each configured step to its directory.
    /// Baseline steps not (yet) in the chain are trained when their checkpoint is appended.
    ///
    /// A resumed track whose recorded configuration differs is refused (``TrackError/configMismatch(file:differences:)``,
    /// naming each setting with its old and new value) unless every difference is safe
    /// (``TrackConfigChange/isSafe``) and `acceptingSafeChanges` is true; then the new values are
    /// recorded and listed in the warnings (``acceptedChanges``).
    public init(directory: URL, config: TrackConfig, checkpoints: [Int: URL], provider: any CheckpointActivationProvider,
                modelName: String = "", warnings: [String] = [], acceptingSafeChanges: Bool = false) throws {
        self.directory = directory
        self.provider = provider
        self.modelName = modelName
        guard Set(config.steps).count == config.steps.count else {
            throw TrackError.invalidCheckpoints("duplicate steps in \(config.steps)")
        }
        guard config.baselineSeeds >= 1 else {
            throw TrackError.invalidSetting("baseline seeds must be at least 1 (got \(config.baselineSeeds))")
        }
        if TrackState.exists(in: directory), let existing = try? TrackState.read(from: directory), !existing.config.differences(from: config).isEmpty,
           existing.hasNoWork(in: directory) {
            // A track.json written by a run that stopped before its first stage started (e.g. on a
            // wrong hook): nothing would be lost, so the corrected command starts afresh.
            try FileManager.default.removeItem(at: directory.appendingPathComponent(TrackState.fileName))
        }
        if TrackState.exists(in: directory) {
            var existing = try TrackState.read(from: directory)
            let changes = config.changes(from: existing.config)
            guard changes.allSatisfy({ $0.isSafe && acceptingSafeChanges }) else {
                throw TrackError.configMismatch(file: directory.appendingPathComponent(TrackState.fileName).path,
                                                differences: changes.map(\.description))
            }
            if !changes.isEmpty {
                let recordedSteps = existing.config.steps
                existing.config = config
                existing.config.steps = recordedSteps                 // extended below when the new list is longer
                for c in changes {
                    existing.warnings.append("resumed with a changed setting (--resume-changed): \(c.setting): \(c.old) → \(c.new)")
                }
                acceptedChanges = changes
            }
            // Live tracking: the chain may have grown since the last run.
            for (i, step) in config.steps.enumerated() where i >= existing.stages.count {
                existing.config.steps.append(step)
                existing.appendStage(step: step, checkpoint: checkpoints[step]?.path ?? "", index: i)
            }
            state = existing
        } else {
            state = TrackState(config: config, checkpoints: checkpoints.mapValues(\.path))
        }
        for w in warnings where !state.warnings.contains(w) { state.warnings.append(w) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try state.write(to: directory)
    }

    /// Runs every unfinished stage (and baseline) in chain order.
    public func run() throws {
        for i in state.stages.indices where !isComplete(stageIndex: i) {
            try runStage(index: i)
        }
    }

    /// Live tracking: records a newly written checkpoint at the end of the chain and runs its stage.
    public func append(step: Int, checkpoint: URL) throws {
        if let i = state.stages.firstIndex(where: { $0.step == step }) {
            if !isComplete(stageIndex: i) { try run() }
            return
        }
        if let last = state.config.steps.last {
            let ordered = state.config.order == .forward ? step > last : step < last
            guard ordered else { throw TrackError.invalidCheckpoints("step \(step) does not continue the \(state.config.order) chain ending at \(last)") }
        }
        state.config.steps.append(step)
        state.appendStage(step: step, checkpoint: checkpoint.path, index: state.stages.count)
        try state.write(to: directory)
        try run()
    }

    private func isComplete(stageIndex i: Int) -> Bool {
        state.stages[i].status == .done
            && !state.baselines.contains { $0.step == state.stages[i].step && $0.status != .done }
    }

    // MARK: - One stage

    private func url(_ relative: String) -> URL { directory.appendingPathComponent(relative) }

    private func runStage(index i: Int) throws {
        let stage = state.stages[i]
        let total = state.stages.count
        progress("stage \(i + 1)/\(total)  checkpoint step \(stage.step)  \(stage.warmStartedFrom.map { "warm start from step \($0)" } ?? "from scratch")")
        let acts = try provider.activations(step: stage.step, checkpoint: URL(fileURLWithPath: stage.checkpoint))
        guard acts.train.cols == state.dIn, acts.eval.cols == state.dIn else {
            throw TrackError.shapeMismatch("checkpoint step \(stage.step) gives d_in \(acts.train.cols), the SAEs have d_in \(state.dIn)")
        }
        if let sha = acts.weightsSHA256, let recorded = stage.weightsSHA256, sha != recorded {
            state.warnings.append("checkpoint step \(stage.step): weights SHA-256 changed since the stage started (\(recorded.prefix(12))… → \(sha.prefix(12))…)")
        }
        if state.stages[i].status != .done {
            let initial: SparseAutoencoder? = try stage.warmStartedFrom.map { prev in
                guard let p = state.stages.first(where: { $0.step == prev }), p.status == .done, TrackSAEFiles.exists(at: url(p.sae)) else {
                    throw TrackError.missingSAE(step: prev, path: url("saes/step\(prev)").path)
                }
                return try TrackSAEFiles.read(from: url(p.sae))
            }
            state.stages[i].status = .training
            state.stages[i].weightsSHA256 = acts.weightsSHA256
            if state.config.stream != nil && state.stages[i].streamStart == nil {
                state.stages[i].streamStart = try streamStart(stageIndex: i)
            }
            try state.write(to: directory)
            try checkpoint(.stageStarted(step: stage.step))
            let config = state.config.stageConfig(index: i)
            let record = try train(config: config, initial: initial, activations: acts, step: stage.step, index: i, baseline: false,
                                   streamStart: state.stages[i].streamStart, label: "stage \(i + 1)/\(total)")
            state.stages[i].log = record.log
            state.stages[i].metrics = record.metrics
            state.stages[i].streamEnd = record.streamEnd
            state.stages[i].status = .done
            try finish(step: stage.step, baseline: false, seed: 0)
        }
        // The from-scratch baselines of this checkpoint, one per seed index, in order; a resumed
        // run trains only those not done (a finished seed is never retrained).
        for b in state.baselines.indices where state.baselines[b].step == stage.step && state.baselines[b].status != .done {
            let seed = state.baselines[b].seedIndex
            let config = state.config.baselineConfig(index: i, seed: seed)
            let seeds = state.config.baselineSeeds(atStep: stage.step)
            let name = seeds > 1 ? "baseline \(stage.step) seed \(seed)" : "baseline \(stage.step)"
            progress("baseline at step \(stage.step)" + (seeds > 1 ? ", seed index \(seed) of 0–\(seeds - 1) (SAE seed \(config.seed))" : "")
                     + ": from scratch, \(config.steps) SAE steps "
                     + (state.config.baselineBudget == .cumulative ? "(same budget as the chain so far)" : "(the first stage's budget)"))
            state.baselines[b].status = .training
            state.baselines[b].weightsSHA256 = acts.weightsSHA256
            if state.config.stream != nil && state.baselines[b].streamStart == nil {
                state.baselines[b].streamStart = state.stages[i].streamStart ?? ActivationProducerPosition(epoch: 0, offset: 0)
            }
            try state.write(to: directory)
            let record = try train(config: config, initial: nil, activations: acts, step: stage.step, index: i, baseline: true, seed: seed,
                                   streamStart: state.baselines[b].streamStart, label: name)
            state.baselines[b].log = record.log
            state.baselines[b].metrics = record.metrics
            state.baselines[b].streamEnd = record.streamEnd
            state.baselines[b].status = .done
            try finish(step: stage.step, baseline: true, seed: seed)
        }
    }

    private func finish(step: Int, baseline: Bool, seed: Int) throws {
        try state.write(to: directory)
        try? FileManager.default.removeItem(at: stateDirectory(step: step, baseline: baseline, seed: seed))
        let states = url("state")
        if (try? FileManager.default.contentsOfDirectory(atPath: states.path))?.isEmpty == true {
            try? FileManager.default.removeItem(at: states)
        }
        try checkpoint(.stageFinished(step: step, baseline: baseline, seed: seed))
    }

    private func stateDirectory(step: Int, baseline: Bool, seed: Int) -> URL {
        url(baseline ? "state/baseline-" + TrackStage.baselineName(step: step, seed: seed) : "state/stage-step\(step)")
    }

    private func checkpoint(_ event: TrackEvent) throws {
        if let stopAt, stopAt(event) { throw TrackError.interrupted(event.description) }
    }

    private struct RunRecord { var log: [TrainingPoint]; var metrics: StageMetrics; var streamEnd: ActivationProducerPosition? }

    /// Where stage `i`'s token stream starts: the first training row (``StageTokens/same``, and
    /// the first stage), or where the previous stage's stream stopped (``StageTokens/continue``).
    private func streamStart(stageIndex i: Int) throws -> ActivationProducerPosition {
        let origin = ActivationProducerPosition(epoch: 0, offset: 0)
        guard i > 0, state.config.stream?.stageTokens == .continue else { return origin }
        guard let end = state.stages[i - 1].streamEnd else {
            throw TrackError.streamUnavailable("stage \(i + 1) continues the token stream of the stage at step \(state.stages[i - 1].step), "
                                               + "whose end position is not recorded in \(url(TrackState.fileName).path)")
        }
        return end
    }

    /// The training data of one run: the mixing store over the checkpoint's LM stream (streamed
    /// tracks), else seeded epochs over the in-memory activations.
    private func source(config: SAETrainingConfig, activations acts: CheckpointActivations, index: Int, baseline: Bool, seed: Int,
                        streamStart: ActivationProducerPosition?) throws -> any ActivationSource {
        guard let stream = state.config.stream else { return InMemoryActivations(acts.train, seed: config.seed) }
        guard var producer = acts.stream else {
            throw TrackError.streamUnavailable("the activation provider (\(type(of: provider))) returned in-memory activations, not a token stream")
        }
        guard producer.dIn == state.dIn else {
            throw TrackError.shapeMismatch("the checkpoint's stream gives d_in \(producer.dIn), the SAEs have d_in \(state.dIn)")
        }
        try producer.seek(to: streamStart ?? ActivationProducerPosition(epoch: 0, offset: 0))
        return try MixingActivationStore(producer: producer, halfBufferTokens: stream.halfBufferTokens,
                                         seed: state.config.storeSeed(index: index, baseline: baseline, seed: seed))
    }

    /// Trains one SAE (resuming from its saved trainer state when present), writes it, its log and
    /// the evaluation cache, and evaluates it.
    private func train(config: SAETrainingConfig, initial: SparseAutoencoder?, activations acts: CheckpointActivations,
                       step: Int, index: Int, baseline: Bool, seed: Int = 0, streamStart: ActivationProducerPosition?,
                       label: String) throws -> RunRecord {
        let stateDir = stateDirectory(step: step, baseline: baseline, seed: seed)
        let source = try self.source(config: config, activations: acts, index: index, baseline: baseline, seed: seed, streamStart: streamStart)
        let trainer: SAETrainer
        if FileManager.default.fileExists(atPath: stateDir.appendingPathComponent("trainer_state.json").path) {
            trainer = try SAETrainer(resumingFrom: stateDir, source: source)
            progress("  resuming \(label) at SAE step \(trainer.step)/\(config.steps)")
        } else {
            trainer = try SAETrainer(config: config, initial: initial, source: source)
        }
        let every = max(1, state.config.checkpointEvery)
        let started = Date()
        let watch = Stopwatch()
        let startStep = trainer.step
        let clock = ProgressClock(total: Double(config.steps), startingAt: Double(startStep), started: started)
        var lastPrint = Date.distantPast
        let reference = trainer.log.first?.terms.loss
        var kept: Int? = FileManager.default.fileExists(atPath: stateDir.appendingPathComponent("trainer_state.json").path)
            ? trainer.step : nil
        while trainer.step < config.steps {
            let logged = trainer.log.count
            let next = min(config.steps, (trainer.step / every + 1) * every)
            _ = try trainer.train(untilStep: next) { [progress] e in
                let now = Date()
                guard now.timeIntervalSince(lastPrint) > 1 || e.step == config.steps else { return }
                lastPrint = now
                let eta = clock.secondsLeft(at: Double(e.step), now: now)
                progress(String(format: "  %@  step %d/%d  loss %.4f  L0 %.1f  EV %.3f  %.0f tok/s  ETA %@",
                                label, e.step, config.steps, e.terms.loss, e.terms.l0, e.terms.explainedVariance,
                                e.tokensPerSecond, ProgressClock.format(eta)) + Self.streamProgress(trainer.source))
            }
            // Saved only when the chunk is healthy, so a diverged stage keeps its last good state.
            if let problem = TrainingDivergence.problem(in: trainer.log[logged...], reference: reference ?? trainer.log.first?.terms.loss)
                ?? TrainingDivergence.problem(in: trainer.sae).map({ (trainer.step, $0) }) {
                throw TrainingDivergedError(run: "track \(directory.path): \(label) (checkpoint step \(step))", step: problem.step,
                                            reason: problem.reason, keptState: kept.map { ($0, stateDir.path) })
            }
            try trainer.saveState(to: stateDir)
            kept = trainer.step
            try checkpoint(.trainerStateSaved(step: step, saeStep: trainer.step, baseline: baseline, seed: seed))
        }
        let result = try trainer.train()
        let span = watch.elapsed
        let heldRows = (state.config.stream.map { 2 * $0.halfBufferTokens } ?? acts.train.rows) + acts.eval.rows
        try TrackCompute.record(.init(saeSteps: config.steps, tokens: config.steps * config.batchSize, wallSeconds: span.wallSeconds,
                                      cpuSeconds: span.cpuSeconds, activationBytes: heldRows * state.dIn * MemoryLayout<Float>.size,
                                      resumedAtStep: startStep > 0 ? startStep : nil),
                                key: TrackCompute.key(step: step, baseline: baseline, seed: seed), in: directory)
        let saeDir = url(baseline ? "baselines/" + TrackStage.baselineName(step: step, seed: seed) : "saes/step\(step)")
        let stageIndex = state.stages.firstIndex { $0.step == step }
        let parent = baseline ? nil : stageIndex.flatMap { state.stages[$0].warmStartedFrom }
        try TrackSAEFiles.write(result.sae, provenance: .init(modelName: modelName, hookName: state.config.hook, checkpointStep: step,
                                                              centered: state.config.centered, warmStartedFrom: parent,
                                                              weightsSHA256: acts.weightsSHA256), to: saeDir)
        var csv = SAETrainingLogEntry.csvHeader + "\n"
        for e in result.log { csv += e.csvRow + "\n" }
        try AtomicFile.write(csv, to: url(baseline ? "logs/baseline-" + TrackStage.baselineName(step: step, seed: seed) + ".csv" : "logs/step\(step).csv"))
        if writeEvaluationCache && !baseline {
            try ActivationShard.write(acts.eval, metadata: ["step": String(step), "hook": state.config.hook,
                                                            "centered": String(state.config.centered), "include_bos": "true"],
                                      to: url("cache/eval-step\(step).safetensors"))
        }
        try checkpoint(.saeWritten(step: step, baseline: baseline, seed: seed))
        var (metrics, _) = StageEvaluation.evaluate(result.sae, on: acts.eval, l1Coefficient: Double(config.l1Coefficient))
        if let splice = acts.spliceLosses {
            let l = try splice(result.sae)
            metrics.lmLoss = l.clean; metrics.reconstructedLoss = l.reconstructed; metrics.zeroAblatedLoss = l.zeroAblated
        }
        progress(String(format: "  %@ done: held-out EV %.3f  L0 %.1f  dead %.2f%@", label, metrics.explainedVariance, metrics.l0,
                        metrics.deadFraction, metrics.ceRecovered.map { String(format: "  CE recovered %.3f", $0) } ?? ""))
        let log = result.log.map {
            TrainingPoint(step: $0.step, loss: Double($0.terms.loss), mse: Double($0.terms.mse), l0: Double($0.terms.l0),
                          explainedVariance: Double($0.terms.explainedVariance), deadFeatures: $0.deadFeatures)
        }
        return RunRecord(log: log, metrics: metrics, streamEnd: Self.streamStore(trainer.source)?.producer.position)
    }

    private static func streamStore(_ source: any ActivationSource) -> MixingActivationStore<AnyActivationProducer>? {
        source as? MixingActivationStore<AnyActivationProducer>
    }

    /// `  LM row 1234 (pass 1), buffer 524288 rows` for a streamed run, empty otherwise.
    static func streamProgress(_ source: any ActivationSource) -> String {
        guard let s = streamStore(source) else { return "" }
        return "  LM stream at row \(s.producer.position.offset) (pass \(s.producer.position.epoch + 1)), buffer \(s.heldRows) activations"
    }

    // MARK: - Reading a finished track

    /// The SAE of the chain at `step`.
    public func sae(atStep step: Int) throws -> SparseAutoencoder {
        guard let s = state.stages.first(where: { $0.step == step }), s.status == .done else {
            throw TrackError.missingSAE(step: step, path: url("saes/step\(step)").path)
        }
        return try TrackSAEFiles.read(from: url(s.sae))
    }
}
