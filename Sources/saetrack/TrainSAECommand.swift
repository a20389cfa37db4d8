import ArgumentParser
import Foundation
import SAETrack
import SAETrackCLIOptions

/// `saetrack train-sae`: one SAE on one model's activations, from scratch or warm-started.
struct TrainSAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-sae",
        abstract: "Train one SAE on a model's hook activations (or an activation file), from scratch or warm-started.",
        discussion: """
            Defaults are SAE-Track's first stage (Docs/Method.md §4.2): ReLU SAE, MSE / ‖x − batch mean‖ + 8e-5·L1, \
            Adam lr 4e-4 with a 5000-step warm-up, geometric-median b_dec, ghost grads, unit-norm decoder rows. \
            --weight-init, --b-dec-init and --clip-grad-norm default to auto: SAELens's trainer (tied init, b_dec 0, \
            clip 1) for jumprelu and for standard with --loss saelens, SAE-Track's (Kaiming, geometric median, no clip) \
            for the paper's recipe and the TopK family (Docs/TrainingQuality.md); training_config.json records the values used. \
            --stage continual takes the SAE-Track stage column (lr 4e-5, warm-up 3, no ghost grads in practice) \
            and needs --init. Activations come from --model/--hook/--tokens through the half-buffer shuffling \
            store (Docs/Method.md §2.4), optionally cached on disk (--cache), or from --activations FILE (safetensors \
            `activations` [N, d]). Writes <out>/cfg.json + sae_weights.safetensors (SAELens layout, provenance in \
            metadata), training_log.json/.csv, evaluation.json, sparsity.safetensors, and train_sae.log (every \
            progress and warning line, UTC-stamped, appended across resumes). A resumable trainer state \
            is kept in <out>/trainer_state during the run: rerunning the same command continues it. \
            <out>/fingerprint.json records the inputs (files, settings, SAETrack version); a rerun whose inputs \
            differ is refused before any work (--resume-changed continues anyway, --restart starts over), and a \
            rerun of a finished run with the same inputs does nothing. Training stops when it diverges (loss not \
            finite, 1000× its first value, or explained variance below −100), keeping the last good trainer state.
            """
    )

    @OptionGroup var options: TrainSAEOptions

    func run() throws {
        if let threads = options.threads { Threads.setDefault(threads) }
        let outURL = URL(fileURLWithPath: options.out).standardizedFileURL
        guard let (current, accepted) = try claimOutput(outURL) else { return }
        let log = try RunLog(appendingTo: outURL.appendingPathComponent(TrainSAEOptions.logFile))
        log.write("train-sae: " + CommandLine.arguments.dropFirst().joined(separator: " "))
        for c in accepted { log.write("warning: continuing with a changed input: \(c)") }
        let data = try options.trainingData(say: log.write)
        let config = try options.trainingConfig(dIn: data.source.dIn)
        let (trainer, result) = try train(config, on: data, into: outURL, log: log)
        try options.writeOutputs(result, config: trainer.config, data: data, fingerprint: current, to: outURL)
        log.record("train-sae: finished; SAE written to \(outURL.path)")
    }

    /// Readies `outURL` for this run: removes interrupted writes, checks (and records) the
    /// fingerprint, applies --restart. Nil when the directory already holds this run, finished;
    /// else the fingerprint and the changed inputs a resume accepted.
    private func claimOutput(_ outURL: URL) throws -> (RunFingerprint, [String])? {
        let fm = FileManager.default
        try OutputDirectory.removeInterruptedWrites(in: outURL)
        // Fingerprint first: a changed rerun is refused before anything is read or written.
        let current = try options.fingerprint()
        if options.resume.restart {
            for name in TrainSAEOptions.outputs { try? fm.removeItem(at: outURL.appendingPathComponent(name)) }
        }
        // A fingerprint without any work beside it (the run stopped before its first saved state)
        // protects nothing: the corrected command starts afresh.
        let hasWork = fm.fileExists(atPath: outURL.appendingPathComponent("trainer_state").path)
            || fm.fileExists(atPath: outURL.appendingPathComponent("sae_weights.safetensors").path)
        let accepted = hasWork ? try options.resume.check(current, in: outURL, command: "train-sae") : []
        let finished = fm.fileExists(atPath: outURL.appendingPathComponent("training_config.json").path)
            && fm.fileExists(atPath: outURL.appendingPathComponent("sae_weights.safetensors").path)
        if try finished && accepted.isEmpty && RunFingerprint.read(from: outURL) != nil {
            print("train-sae: \(outURL.path) already holds this run, finished (same inputs and settings); nothing to do. Pass --restart to train again.")
            return nil
        }
        try OutputDirectory.requireWritable(outURL)
        try current.write(to: outURL)
        return (current, accepted)
    }

    /// Trains (or resumes) in chunks of --save-every steps, saving the state after each chunk that
    /// passed the divergence check, so a diverged run keeps its last good state.
    private func train(_ config: SAETrainingConfig, on data: TrainSAEData, into outURL: URL, log: RunLog) throws
        -> (SAETrainer, SAETrainingResult) {
        let fm = FileManager.default
        let say = log.write
        let (source, dataTokens, dIn, d) = (data.source, data.dataTokens, config.dIn, config.dSAE)
        let initialSAE = try options.initial.map { try SparseAutoencoder.load(from: URL(fileURLWithPath: $0)) }
        let anchor = try (options.previous ?? (options.reg > 0 ? options.initial : nil)).map { try SparseAutoencoder.load(from: URL(fileURLWithPath: $0)) }
        let stateDir = outURL.appendingPathComponent("trainer_state")
        let trainer: SAETrainer
        if FileManager.default.fileExists(atPath: stateDir.appendingPathComponent("trainer_state.json").path) {
            trainer = try SAETrainer(resumingFrom: stateDir, source: source, previous: anchor)
            say("resuming at step \(trainer.step)/\(trainer.config.steps) from \(stateDir.path)")
        } else {
            trainer = try SAETrainer(config: config, initial: initialSAE, previous: anchor, source: source)
        }
        let total = trainer.config.steps, startStep = trainer.step
        let started = Date()
        let clock = ProgressClock(total: Double(total), startingAt: Double(startStep), started: started)
        say("train-sae: \(trainer.config.architecture.rawValue) SAE d_in \(dIn) d_sae \(d), \(total) steps × \(options.batchSize) tokens, threads \(Threads.count)")
        if initialSAE == nil || trainer.config.clipGradNorm != nil {
            say("init: " + SAEInitChoices.Resolved(weightInit: trainer.config.weightInit, bDecInit: trainer.config.bDecInit,
                                                   clipGradNorm: trainer.config.clipGradNorm).summary)
        }
        say("cost: " + CostEstimate.line(steps: total - startStep, batchSize: trainer.config.batchSize, dataTokens: dataTokens))
        // Fault injection for the tests: SIGKILL this process (no cleanup at all) once the progress
        // line of this step has been printed, as a crash or an out-of-memory kill would.
        let killAtStep = ProcessInfo.processInfo.environment["SAETRACK_FAULT_KILL_AT_STEP"].flatMap { Int($0) }
        let every = max(1, trainer.config.saveEvery > 0 ? trainer.config.saveEvery : total)
        let reference = trainer.log.first?.terms.loss
        var keptStep: Int? = fm.fileExists(atPath: stateDir.appendingPathComponent("trainer_state.json").path) ? trainer.step : nil
        var estimated = false
        var result: SAETrainingResult
        repeat {
            let logged = trainer.log.count
            let next = min(total, (trainer.step / every + 1) * every)
            let probeEnd = estimated ? next : min(next, trainer.step + 3)
            result = try trainer.train(untilStep: probeEnd) { e in
                let eta = clock.secondsLeft(at: Double(e.step))
                say(String(format: "step %d/%d  loss %.5g  mse %.4g  L0 %.1f  EV %.3f  dead %d  %.0f tok/s  ETA %@",
                           e.step, total, e.terms.loss, e.terms.mse, e.terms.l0, e.terms.explainedVariance,
                           e.deadFeatures, e.tokensPerSecond, ProgressClock.format(eta)))
                if let killAtStep, e.step >= killAtStep { kill(getpid(), SIGKILL) }
            }
            if !estimated {
                estimated = true
                let perStep = Date().timeIntervalSince(started) / Double(max(1, trainer.step - startStep))
                say("estimate: " + CostEstimate.duration(perStep * Double(total - startStep))
                    + String(format: " (%.3g s per step, measured over the first %d)", perStep, trainer.step - startStep))
            }
            let problem = TrainingDivergence.problem(in: trainer.log[logged...], reference: reference ?? trainer.log.first?.terms.loss)
                ?? TrainingDivergence.problem(in: trainer.sae).map { (trainer.step, $0) }
            if let problem {
                throw TrainingDivergedError(run: "train-sae \(outURL.path)", step: problem.step, reason: problem.reason,
                                            keptState: keptStep.map { ($0, stateDir.path) })
            }
            if trainer.step < total && trainer.step % every == 0 {
                try trainer.saveState(to: stateDir)
                keptStep = trainer.step
            }
        } while trainer.step < total

        return (trainer, result)
    }
}
