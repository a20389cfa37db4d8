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
            metadata), training_log.json/.csv, evaluation.json, sparsity.safetensors. A resumable trainer state \
            is kept in <out>/trainer_state during the run: rerunning the same command continues it. \
            <out>/fingerprint.json records the inputs (files, settings, SAETrack version); a rerun whose inputs \
            differ is refused before any work (--resume-changed continues anyway, --restart starts over), and a \
            rerun of a finished run with the same inputs does nothing. Training stops when it diverges (loss not \
            finite, 1000× its first value, or explained variance below −100), keeping the last good trainer state.
            """
    )

    @Option(name: .long, help: "Model directory (config.json + model.safetensors).") var model: String?
    @Option(name: .long, help: "Hook point, e.g. blocks.4.hook_resid_pre.") var hook: String?
    @Option(name: .long, help: "Token file: safetensors `tokens` I32 [rows, context].") var tokens: String?
    @Option(name: .long, help: "Activation file instead of a model: safetensors `activations` [N, d].") var activations: String?
    @Option(name: .long, help: "Output SAE directory.") var out: String
    @Option(name: [.customLong("init"), .customLong("initial")], help: "Warm-start from this SAE directory (all four tensors, fresh Adam).") var initial: String?
    @Option(name: .long, help: "Anchor SAE directory for --reg (default: --init).") var previous: String?
    @Option(name: .long, help: "Defaults column: first (from scratch) or continual (SAE-Track stage).") var stage = StageColumn.first
    @Flag(name: .long, help: "Subtract each token's mean over d_model (TransformerLens centring).") var center = false
    @Flag(name: .customLong("exclude-bos"), help: "Drop BOS positions from the training activations.") var excludeBOS = false
    @Option(name: .long, help: "Activation cache directory (written on first use, reused after).") var cache: String?
    @Option(name: .customLong("cache-dtype"), help: "Storage of a new --cache: f32, f16 or bf16 (half the size; values rounded to nearest even).") var cacheDType = "f32"
    @OptionGroup var architectureOptions: ArchitectureOptions
    @OptionGroup var jumpReLU: JumpReLUOptions
    @OptionGroup var initialisation: InitOptions
    @Option(name: .customLong("d-sae"), help: "Dictionary size (default: expansion × d_in).") var dSAE: Int?
    @Option(name: .long, help: "Expansion factor (default 64, SAE-Track).") var expansion = 64
    @Option(name: .customLong("train-tokens"), help: "Token budget (default: 300M first stage, 15M continual).") var trainTokens: Int?
    @Option(name: .long, help: "Steps (overrides --train-tokens).") var steps: Int?
    @Option(name: .customLong("batch-size"), help: "Tokens per step (default 4096).") var batchSize = 4096
    @Option(name: .long, help: "Learning rate.") var lr: Float?
    @Option(name: .long, help: "Warm-up steps.") var warmup: Int?
    @Option(name: .long, help: "Schedule: constant (with warm-up) or linear-decay.") var schedule = ScheduleChoice.constant
    @Option(name: .customLong("decay-steps"), help: "linear-decay: length of the final decay.") var decaySteps = 0
    @Option(name: .customLong("lr-end"), help: "linear-decay: final learning rate.") var lrEnd: Float = 0
    @Option(name: .long, help: "L1 coefficient (default 8e-5).") var l1: Float?
    @Option(name: .customLong("l1-warmup"), help: "L1 warm-up steps (0: off).") var l1Warmup = 0
    @Option(name: .long, help: "Loss form: sae-track (MSE/‖x−mean‖, plain L1) or saelens (Σ MSE, decoder-norm-weighted L1).") var loss = LossForm.saeTrack
    @Option(name: .customLong("decoder-norm"), help: "unit (w_dec_norm=1) or free (w_dec_norm=0, norm-weighted L1).") var decoderNorm = DecoderNormChoice.unit
    @Flag(inversion: .prefixedNo, help: "Ghost grads for dead features (standard).") var ghostGrads = true
    @Option(name: .customLong("dead-window"), help: "Steps without firing before a feature is dead.") var deadWindow: Int?
    @Option(name: .customLong("sampling-window"), help: "Feature-frequency sampling window (steps).") var samplingWindow: Int?
    @Option(name: .long, help: "Anchor regularisation toward --previous (Docs/Method.md §5.4).") var reg: Float = 0
    @Flag(name: .customLong("no-shuffle"), help: "--activations: take batches in file order (batch i = rows i·B..<(i+1)·B, wrapping; b_dec initialised from the first rows) so an outside tool can reproduce every step.") var noShuffle = false
    @Option(name: .customLong("buffer-tokens"), help: "Half-buffer size of the shuffling store (SAE-Track 262144).") var bufferTokens = 262_144
    @Option(name: .customLong("eval-rows"), help: "Held-out token rows (from the end of the token file) for evaluation.") var evalRows = 16
    @Option(name: .customLong("eval-tokens"), help: "--activations: held-out activations (from the end) for evaluation.") var evalTokens = 4096
    @Option(name: .customLong("log-every"), help: "Log every N steps.") var logEvery = 100
    @Option(name: .customLong("save-every"), help: "Save the resumable state every N steps.") var saveEvery = 500
    @Option(name: .long, help: "Seed.") var seed: UInt64 = 42
    @Option(name: .long, help: "Threads (default: SAETRACK_THREADS or all cores).") var threads: Int?
    @OptionGroup var resume: ResumeOptions

    func validate() throws {
        if activations == nil && (model == nil || hook == nil || tokens == nil) {
            throw ValidationError("give --model, --hook and --tokens, or --activations")
        }
        if noShuffle && activations == nil { throw ValidationError("--no-shuffle needs --activations (batches in file order)") }
        if stage == .continual && initial == nil { throw ValidationError("--stage continual needs --init") }
        try jumpReLU.check(architecture: architectureOptions.parsed().architecture)
        if ActivationDType(name: cacheDType) == nil { throw ValidationError("--cache-dtype must be f32, f16 or bf16 (got \(cacheDType))") }
        if cacheDType.lowercased() != "f32" && cache == nil { throw ValidationError("--cache-dtype needs --cache") }
    }

    private func say(_ s: String) { StandardError.writeLine(s) }

    /// The files this run's result depends on, and its settings, as a fingerprint.
    private func fingerprint() throws -> RunFingerprint {
        var f = RunFingerprint()
        if let activations { try f.addFile("activations", URL(fileURLWithPath: activations)) }
        if let model { try f.addCheckpoint("model", URL(fileURLWithPath: model)) }
        if let tokens { try f.addFile("tokens", URL(fileURLWithPath: tokens)) }
        if let initial { try f.addFile("initial SAE", Self.weightsFile(of: initial)) }
        if let previous { try f.addFile("anchor SAE", Self.weightsFile(of: previous)) }
        // Every flag that changes the result (not --threads, --log-every, --save-every).
        let settings: [String] = [hook ?? "", stage.rawValue, "\(center)", "\(excludeBOS)", architectureOptions.architecture, "\(architectureOptions.k)", "\(dSAE ?? -1)",
                                  "\(expansion)", "\(trainTokens ?? -1)", "\(steps ?? -1)", "\(batchSize)", "\(lr ?? -1)",
                                  "\(warmup ?? -1)", schedule.rawValue, "\(decaySteps)", "\(lrEnd)", "\(l1 ?? -1)", "\(l1Warmup)", loss.rawValue,
                                  decoderNorm.rawValue, "\(ghostGrads)", "\(deadWindow ?? -1)", "\(samplingWindow ?? -1)", "\(reg)",
                                  "\(bufferTokens)", "\(evalRows)", "\(evalTokens)", "\(seed)"]
                                  + (architectureOptions.matryoshkaWidths.map { ["matryoshka \($0)"] } ?? [])
                                  + (architectureOptions.architecture == "jumprelu" ? [jumpReLU.fingerprint] : [])
                                  + initialisation.fingerprint(architecture: SAEArchitecture(rawValue: architectureOptions.architecture)!,
                                                               mseMode: loss == .saeLens ? .saeLens : .saeTrack)
                                  + (cacheDType.lowercased() == "f32" ? [] : ["cache dtype \(cacheDType.lowercased())"])
                                  // Added only away from their defaults, so runs fingerprinted before still match.
                                  + (noShuffle ? ["no shuffle"] : [])
                                  + (architectureOptions.rescaleActsByDecoderNorm ? ["rescale acts by decoder norm"] : [])
                                  + (architectureOptions.useMatryoshkaAuxLoss ? ["matryoshka aux loss"] : [])
                                  + (["batchtopk", "matryoshka"].contains(architectureOptions.architecture) && architectureOptions.topkThresholdLr != 0.01
                                     ? ["topk threshold lr \(architectureOptions.topkThresholdLr)"] : [])
        try f.addSettings("settings", settings)
        return f
    }

    /// The weights file of an SAE directory (either layout), or an error naming what is missing.
    static func weightsFile(of directory: String) throws -> URL {
        let url = URL(fileURLWithPath: directory)
        switch SAEDirectory.layout(of: url) {
        case .saeLens?: return url.appendingPathComponent(SAEDirectory.saeLensWeightsFile)
        case .sparsify?: return url.appendingPathComponent(SAEDirectory.sparsifyWeightsFile)
        case nil: throw SAELayoutError.missingFile(directory: url.path, file: "\(SAEDirectory.saeLensWeightsFile) or \(SAEDirectory.sparsifyWeightsFile)")
        }
    }

    /// Files of a finished or started run in `out` (removed by --restart).
    static let outputs = ["cfg.json", "sae_weights.safetensors", "evaluation.json", "evaluation_full.json", "training_log.json",
                          "training_log.csv", "sparsity.safetensors", "training_config.json", "trainer_state", RunFingerprint.fileName]

    func run() throws {
        if let threads { Threads.setDefault(threads) }
        let outURL = URL(fileURLWithPath: out).standardizedFileURL
        guard let current = try claimOutput(outURL) else { return }
        let data = try trainingData()
        let config = try trainingConfig(dIn: data.source.dIn)
        let (trainer, result) = try train(config, on: data, into: outURL)
        try writeOutputs(result, of: trainer, data: data, fingerprint: current, to: outURL)
    }

    /// Where the activations come from, what is held out to evaluate on, and what is recorded of it.
    private struct TrainingData {
        var source: any ActivationSource
        var evalSet: Matrix
        /// The LM and hook, and the held-out token rows, when the activations come from a model (CE recovered).
        var lm: TransformerLM? = nil
        var hookPoint: HookPoint? = nil
        var evalTokenRows: (tokens: [Int32], rows: Int, context: Int)? = nil
        var provenance = SAEProvenance(prependBOS: true)
        var sourceInfo: [String: String] = [:]
        /// Training activations available (for the epochs in the cost line).
        var dataTokens = 0
    }

    /// Readies `outURL` for this run: removes interrupted writes, checks (and records) the
    /// fingerprint, applies --restart. Nil when the directory already holds this run, finished.
    private func claimOutput(_ outURL: URL) throws -> RunFingerprint? {
        let fm = FileManager.default
        try OutputDirectory.removeInterruptedWrites(in: outURL)
        // Fingerprint first: a changed rerun is refused before anything is read or written.
        let current = try fingerprint()
        if resume.restart {
            for name in Self.outputs { try? fm.removeItem(at: outURL.appendingPathComponent(name)) }
        }
        // A fingerprint without any work beside it (the run stopped before its first saved state)
        // protects nothing: the corrected command starts afresh.
        let hasWork = fm.fileExists(atPath: outURL.appendingPathComponent("trainer_state").path)
            || fm.fileExists(atPath: outURL.appendingPathComponent("sae_weights.safetensors").path)
        let accepted = hasWork ? try resume.check(current, in: outURL, command: "train-sae") : []
        let finished = fm.fileExists(atPath: outURL.appendingPathComponent("training_config.json").path)
            && fm.fileExists(atPath: outURL.appendingPathComponent("sae_weights.safetensors").path)
        if try finished && accepted.isEmpty && RunFingerprint.read(from: outURL) != nil {
            print("train-sae: \(outURL.path) already holds this run, finished (same inputs and settings); nothing to do. Pass --restart to train again.")
            return nil
        }
        for c in accepted { say("warning: continuing with a changed input: \(c)") }
        try OutputDirectory.requireWritable(outURL)
        try current.write(to: outURL)
        return current
    }

    /// Activations: an in-memory file or the LM behind the shuffling store.
    private func trainingData() throws -> TrainingData {
        if let activations {
            let all = try ActivationShard.read(URL(fileURLWithPath: activations))
            try NonFiniteDataError.check(all, source: activations, tensor: "activations", rowMeaning: "row")
            let held = min(evalTokens, all.rows / 5)
            let source: any ActivationSource
            if noShuffle {
                source = InMemoryActivations(all.rows(0..<(all.rows - held)), seed: seed, shuffled: false)
            } else {
                source = try MixingActivationStore(producer: MatrixActivationProducer(all.rows(0..<(all.rows - held))),
                                                   halfBufferTokens: min(bufferTokens, max(1, (all.rows - held) / 2)), seed: seed)
            }
            var data = TrainingData(source: source, evalSet: all.rows((all.rows - held)..<all.rows), dataTokens: all.rows - held)
            data.sourceInfo["batch_order"] = noShuffle ? "file" : "shuffled"
            data.sourceInfo["activations_file"] = URL(fileURLWithPath: activations).standardizedFileURL.path
            return data
        } else {
            let modelURL = URL(fileURLWithPath: model!)
            let dir = try ModelDirectory(modelURL)
            let hp = try HookPoint(name: hook!)
            let rows = try TokenDataset(contentsOf: URL(fileURLWithPath: tokens!))
            try Preflight.check(tokens: rows, file: tokens!, fit: dir.config, model: modelURL.path)
            try Preflight.check(hook: hp, in: dir.config, model: modelURL.path)
            let m = try TransformerLM(config: dir.config, weights: try dir.loadWeights())
            guard rows.rows > evalRows else { throw ValidationError("\(tokens!) has \(rows.rows) rows; need more than --eval-rows \(evalRows)") }
            let trainRows = rows.rows - evalRows
            let producer = try LMActivationProducer(model: m, tokens: Array(rows.tokens[0..<(trainRows * rows.context)]),
                                                    rows: trainRows, context: rows.context, hook: hp, centered: center,
                                                    includeBOS: !excludeBOS)
            let evalTok = Array(rows.tokens[(trainRows * rows.context)...])
            let evalSet = m.activations(tokens: evalTok, rows: evalRows, context: rows.context, at: hp, centered: center)
            try NonFiniteDataError.check(evalSet, source: "\(modelURL.path) at \(hp.name)", tensor: "activations",
                                         rowMeaning: "held-out token")
            let source: any ActivationSource
            if let cache {
                let cacheURL = URL(fileURLWithPath: cache)
                if !FileManager.default.fileExists(atPath: cacheURL.appendingPathComponent("cache.json").path) {
                    say("caching activations of \(trainRows) token rows to \(cache) (\(ActivationDType(name: cacheDType)!.rawValue))")
                    _ = try ActivationCache.write(producer, to: cacheURL, dtype: ActivationDType(name: cacheDType)!)
                }
                source = try MixingActivationStore(producer: try ActivationCacheReader(cacheURL), halfBufferTokens: bufferTokens, seed: seed)
            } else {
                source = try MixingActivationStore(producer: producer, halfBufferTokens: bufferTokens, seed: seed)
            }
            var data = TrainingData(source: source, evalSet: evalSet, lm: m, hookPoint: hp,
                                    evalTokenRows: (evalTok, evalRows, rows.context), dataTokens: trainRows * rows.context)
            data.provenance.modelName = modelURL.lastPathComponent
            data.provenance.hookName = hp.name
            data.provenance.contextSize = rows.context
            data.provenance.centered = center
            data.provenance.lmWeightsSHA256 = try dir.weightsSHA256()
            data.sourceInfo["model_directory"] = modelURL.standardizedFileURL.path
            data.sourceInfo["tokens_file"] = URL(fileURLWithPath: tokens!).standardizedFileURL.path
            data.sourceInfo["include_bos"] = String(!excludeBOS)
            return data
        }
    }

    /// The training config: the stage column, then the flags.
    private func trainingConfig(dIn: Int) throws -> SAETrainingConfig {
        let d = dSAE ?? expansion * dIn
        let budget = trainTokens ?? (stage == .first ? 300_000_000 : 15_000_000)
        var config = stage == .first
            ? SAETrainingConfig.firstStage(dIn: dIn, dSAE: d, tokens: budget, batchSize: batchSize, seed: seed)
            : SAETrainingConfig.continualStage(dIn: dIn, dSAE: d, tokens: budget, batchSize: batchSize, seed: seed)
        if let steps { config.steps = steps }
        try architectureOptions.apply(to: &config)
        try jumpReLU.training().apply(to: &config)
        if let lr { config.lr = lr }
        if let warmup { config.warmupSteps = warmup }
        config.schedule = schedule == .constant ? .constantWithWarmup : .warmupLinearDecay
        config.decaySteps = decaySteps
        config.lrEnd = lrEnd
        if let l1 { config.l1Coefficient = l1 }
        config.l1WarmupSteps = l1Warmup
        config.mseMode = loss == .saeTrack ? .saeTrack : .saeLens
        config.decoderNormMode = decoderNorm == .unit ? .unitNorm : .free
        config.l1Mode = (loss == .saeLens || decoderNorm == .free) ? .decoderNormWeighted : .plain
        if loss == .saeLens { config.removeParallelGradient = false }
        config.ghostGrads = ghostGrads
        if let deadWindow { config.deadFeatureWindow = deadWindow }
        if let samplingWindow { config.featureSamplingWindow = samplingWindow }
        config.regCoefficient = reg
        config.logEvery = logEvery
        config.saveEvery = saveEvery
        config.bDecInitSamples = min(config.bDecInitSamples, bufferTokens)
        initialisation.choices.apply(to: &config)       // auto resolved for the architecture and loss set above

        return config
    }

    /// Trains (or resumes) in chunks of --save-every steps, saving the state after each chunk that
    /// passed the divergence check, so a diverged run keeps its last good state.
    private func train(_ config: SAETrainingConfig, on data: TrainingData, into outURL: URL) throws
        -> (SAETrainer, SAETrainingResult) {
        let fm = FileManager.default
        let (source, dataTokens, dIn, d) = (data.source, data.dataTokens, config.dIn, config.dSAE)
        let initialSAE = try initial.map { try SparseAutoencoder.load(from: URL(fileURLWithPath: $0)) }
        let anchor = try (previous ?? (reg > 0 ? initial : nil)).map { try SparseAutoencoder.load(from: URL(fileURLWithPath: $0)) }
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
        say("train-sae: \(trainer.config.architecture.rawValue) SAE d_in \(dIn) d_sae \(d), \(total) steps × \(batchSize) tokens, threads \(Threads.count)")
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
            result = try trainer.train(untilStep: probeEnd) { [self] e in
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

    /// The SAE directory, its evaluation (with CE recovered when an LM is at hand), logs and config.
    private func writeOutputs(_ result: SAETrainingResult, of trainer: SAETrainer, data: TrainingData,
                              fingerprint current: RunFingerprint, to outURL: URL) throws {
        let (evalSet, d) = (data.evalSet, trainer.config.dSAE)
        var sourceInfo = data.sourceInfo
        // SAE directory first (it replaces the directory atomically), then evaluation and logs beside it.
        try result.sae.save(to: outURL, provenance: data.provenance)
        try current.write(to: outURL)           // the save replaced the directory: record the inputs again

        let evaluation = SAEEvaluation.evaluate(result.sae, on: evalSet)
        guard evaluation.explainedVariance.isFinite, evaluation.mse.isFinite else {
            throw TrainingDivergedError(run: "train-sae \(outURL.path)", step: result.steps,
                                        reason: "the held-out evaluation is not finite (MSE \(evaluation.mse))", keptState: nil)
        }
        var report: [String: Any] = [
            "tokens": evaluation.tokens, "l0": evaluation.l0, "mse": evaluation.mse, "sae_track_mse": evaluation.saeTrackMSE,
            "explained_variance": evaluation.explainedVariance, "legacy_explained_variance": evaluation.legacyExplainedVariance,
            "l2_ratio": evaluation.l2Ratio, "dead_fraction": evaluation.deadFraction, "dense_fraction": evaluation.denseFraction,
        ]
        if let lm = data.lm, let hookPoint = data.hookPoint, let t = data.evalTokenRows {
            let ce = CELossRecovered.measure(result.sae, model: lm, tokens: t.tokens, rows: t.rows, context: t.context,
                                             hook: hookPoint, centered: center)
            report["ce_loss_clean"] = ce.cleanLoss; report["ce_loss_with_sae"] = ce.reconstructionLoss
            report["ce_loss_zero_ablation"] = ce.zeroAblationLoss; report["ce_loss_score"] = ce.score
        }
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]),
                             to: outURL.appendingPathComponent("evaluation.json"))
        try JSONFile.write(evaluation, to: outURL.appendingPathComponent("evaluation_full.json"))
        try JSONFile.write(result.log, to: outURL.appendingPathComponent("training_log.json"))
        try AtomicFile.write(([SAETrainingLogEntry.csvHeader] + result.log.map(\.csvRow)).joined(separator: "\n") + "\n",
                             to: outURL.appendingPathComponent("training_log.csv"))
        try SafetensorsWriter.write(["sparsity": TensorData(shape: [d], floats: result.firingFrequency.map { Float(log10(Double($0) + 1e-10)) })],
                                    to: outURL.appendingPathComponent("sparsity.safetensors"))
        sourceInfo["warm_started_from"] = initial.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? ""
        sourceInfo["steps"] = String(result.steps)
        let training = try JSONSerialization.jsonObject(with: try JSONFile.encoder().encode(trainer.config))
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: ["config": training, "source": sourceInfo],
                                                        options: [.prettyPrinted, .sortedKeys]),
                             to: outURL.appendingPathComponent("training_config.json"))
        print(String(format: "SAE written to %@  (L0 %.1f, EV %.3f, dead %.1f%%)", outURL.path, evaluation.l0,
                     evaluation.explainedVariance, 100 * evaluation.deadFraction))
    }

}
