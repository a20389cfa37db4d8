import ArgumentParser
import Foundation
import SAETrack
import SAETrackMPI
import SAETrackCLIOptions

/// `saetrack-mpi train-sae`: `saetrack train-sae` with the SAE's latents split over the ranks of an
/// MPI job (``ShardedSAETrainer``). The same options (parsed identically; a test compares the two
/// commands' option lists) and, on rank 0, the same output files, plus `mpi_traffic.json`.
struct ShardedTrainSAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-sae",
        abstract: "saetrack train-sae as one MPI job: each rank trains a contiguous block of the SAE's latents.",
        discussion: """
            Run as `mpirun -np N saetrack-mpi train-sae <the train-sae options>`. Every rank reads the same \
            activations and draws the same batches; rank r owns latents ⌊r·d_sae/N⌋..<⌊(r+1)·d_sae/N⌋ (W_enc \
            columns, b_enc, W_dec rows and their Adam moments) and per step the ranks exchange the partial \
            reconstructions (B × d_in floats), per-token top-k candidates (topk), a few scalars and the b_dec \
            gradient. Rank 0 writes the same files as `saetrack train-sae` (Docs/Distributed.md) and \
            mpi_traffic.json (bytes each rank sent). Sharded: --architecture standard (ReLU + L1, ghost grads) \
            topk (with AuxK) and jumprelu (with gradient clipping); any other architecture, --reg, --rescale-acts-by-decoder-norm and resuming \
            from a trainer_state are refused by name. No resumable state is saved (--save-every only sets how \
            often divergence is checked). Reruns with the same rank count and threads are bit-identical.
            """
    )

    @Option(name: .long, help: "Model directory (config.json + model.safetensors).") var model: String?
    @Option(name: .long, help: "Hook point, e.g. blocks.4.hook_resid_pre.") var hook: String?
    @Option(name: .long, help: "Token file: safetensors `tokens` I32 [rows, context].") var tokens: String?
    @Option(name: .long, help: "Activation file instead of a model: safetensors `activations` [N, d].") var activations: String?
    @Option(name: .long, help: "Output SAE directory.") var out: String
    @Option(name: [.customLong("init"), .customLong("initial")], help: "Warm-start from this SAE directory (all four tensors, fresh Adam).") var initial: String?
    @Option(name: .long, help: "Anchor SAE directory for --reg (default: --init).") var previous: String?
    @Option(name: .long, help: "Defaults column: first (from scratch) or continual (SAE-Track stage).") var stage = "first"
    @Flag(name: .long, help: "Subtract each token's mean over d_model (TransformerLens centring).") var center = false
    @Flag(name: .customLong("exclude-bos"), help: "Drop BOS positions from the training activations.") var excludeBOS = false
    @Option(name: .long, help: "Activation cache directory (written on first use, reused after).") var cache: String?
    @Option(name: .customLong("cache-dtype"), help: "Storage of a new --cache: f32, f16 or bf16 (half the size; values rounded to nearest even).") var cacheDType = "f32"
    @OptionGroup var architectureOptions: ArchitectureOptions
    @OptionGroup var jumpReLU: JumpReLUOptions
    @Option(name: .customLong("d-sae"), help: "Dictionary size (default: expansion × d_in).") var dSAE: Int?
    @Option(name: .long, help: "Expansion factor (default 64, SAE-Track).") var expansion = 64
    @Option(name: .customLong("train-tokens"), help: "Token budget (default: 300M first stage, 15M continual).") var trainTokens: Int?
    @Option(name: .long, help: "Steps (overrides --train-tokens).") var steps: Int?
    @Option(name: .customLong("batch-size"), help: "Tokens per step (default 4096).") var batchSize = 4096
    @Option(name: .long, help: "Learning rate.") var lr: Float?
    @Option(name: .long, help: "Warm-up steps.") var warmup: Int?
    @Option(name: .long, help: "Schedule: constant (with warm-up) or linear-decay.") var schedule = "constant"
    @Option(name: .customLong("decay-steps"), help: "linear-decay: length of the final decay.") var decaySteps = 0
    @Option(name: .customLong("lr-end"), help: "linear-decay: final learning rate.") var lrEnd: Float = 0
    @Option(name: .long, help: "L1 coefficient (default 8e-5).") var l1: Float?
    @Option(name: .customLong("l1-warmup"), help: "L1 warm-up steps (0: off).") var l1Warmup = 0
    @Option(name: .long, help: "Loss form: sae-track (MSE/‖x−mean‖, plain L1) or saelens (Σ MSE, decoder-norm-weighted L1).") var loss = "sae-track"
    @OptionGroup var initialisation: InitOptions
    @Option(name: .customLong("decoder-norm"), help: "unit (w_dec_norm=1) or free (w_dec_norm=0, norm-weighted L1).") var decoderNorm = "unit"
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
        if ActivationDType(name: cacheDType) == nil { throw ValidationError("--cache-dtype must be f32, f16 or bf16 (got \(cacheDType))") }
        if cacheDType.lowercased() != "f32" && cache == nil { throw ValidationError("--cache-dtype needs --cache") }
        if stage != "first" && stage != "continual" { throw ValidationError("--stage must be first or continual") }
        if stage == "continual" && initial == nil { throw ValidationError("--stage continual needs --init") }
        try jumpReLU.check(architecture: architectureOptions.parsed().architecture)
        if !["constant", "linear-decay"].contains(schedule) { throw ValidationError("--schedule must be constant or linear-decay") }
        if !["sae-track", "saelens"].contains(loss) { throw ValidationError("--loss must be sae-track or saelens") }
        if !["unit", "free"].contains(decoderNorm) { throw ValidationError("--decoder-norm must be unit or free") }
    }

    /// The files this run's result depends on, and its settings (the single-process command's fingerprint).
    private func fingerprint() throws -> RunFingerprint {
        var f = RunFingerprint()
        if let activations { try f.addFile("activations", URL(fileURLWithPath: activations)) }
        if let model { try f.addCheckpoint("model", URL(fileURLWithPath: model)) }
        if let tokens { try f.addFile("tokens", URL(fileURLWithPath: tokens)) }
        if let initial { try f.addFile("initial SAE", Self.weightsFile(of: initial)) }
        if let previous { try f.addFile("anchor SAE", Self.weightsFile(of: previous)) }
        let settings: [String] = [hook ?? "", stage, "\(center)", "\(excludeBOS)", architectureOptions.architecture, "\(architectureOptions.k)", "\(dSAE ?? -1)",
                                  "\(expansion)", "\(trainTokens ?? -1)", "\(steps ?? -1)", "\(batchSize)", "\(lr ?? -1)",
                                  "\(warmup ?? -1)", schedule, "\(decaySteps)", "\(lrEnd)", "\(l1 ?? -1)", "\(l1Warmup)", loss,
                                  decoderNorm, "\(ghostGrads)", "\(deadWindow ?? -1)", "\(samplingWindow ?? -1)", "\(reg)",
                                  "\(bufferTokens)", "\(evalRows)", "\(evalTokens)", "\(seed)"]
                                  + (architectureOptions.matryoshkaWidths.map { ["matryoshka \($0)"] } ?? [])
                                  + (architectureOptions.architecture == "jumprelu" ? [jumpReLU.fingerprint] : [])
                                  + initialisation.fingerprint(architecture: SAEArchitecture(rawValue: architectureOptions.architecture)!,
                                                               mseMode: loss == "saelens" ? .saeLens : .saeTrack)
                                  + (cacheDType.lowercased() == "f32" ? [] : ["cache dtype \(cacheDType.lowercased())"])
        try f.addSettings("settings", settings)
        return f
    }

    static func weightsFile(of directory: String) throws -> URL {
        let url = URL(fileURLWithPath: directory)
        switch SAEDirectory.layout(of: url) {
        case .saeLens?: return url.appendingPathComponent(SAEDirectory.saeLensWeightsFile)
        case .sparsify?: return url.appendingPathComponent(SAEDirectory.sparsifyWeightsFile)
        case nil: throw SAELayoutError.missingFile(directory: url.path, file: "\(SAEDirectory.saeLensWeightsFile) or \(SAEDirectory.sparsifyWeightsFile)")
        }
    }

    static let outputs = ["cfg.json", "sae_weights.safetensors", "evaluation.json", "evaluation_full.json", "training_log.json",
                          "training_log.csv", "sparsity.safetensors", "training_config.json", "trainer_state",
                          RunFingerprint.fileName, "mpi_traffic.json"]

    /// Starts MPI, runs the job, and on an error on any rank ends the whole job (no rank is left
    /// waiting in a collective): the failing rank prints the error and `mpirun` exits non-zero.
    func run() throws {
        let comm: MPICommunicator
        do { comm = try MPICommunicator.initialize() } catch {
            throw ValidationError("saetrack-mpi could not start MPI: \(error)")
        }
        do {
            try train(comm)
            try comm.finalize()
        } catch {
            let prefix = comm.size > 1 ? "rank \(comm.rank)/\(comm.size): " : ""
            StandardError.writeLine("Error: \(prefix)\(error)")
            comm.abort(code: 1)
        }
    }

    private func say(_ s: String, _ comm: MPICommunicator) { if comm.isRoot { StandardError.writeLine(s) } }

    /// Rank 0's decision, on every rank (a collective).
    private func agree(_ flag: Bool, _ comm: MPICommunicator) throws -> Bool {
        var v = [comm.isRoot && flag ? 1.0 : 0.0]
        try comm.allreduceSum(&v, kind: .scalars)
        return v[0] != 0
    }

    private func train(_ comm: MPICommunicator) throws {
        // Unsharded settings are refused before anything is read or written.
        if !["standard", "topk", "jumprelu"].contains(architectureOptions.architecture) {
            throw ShardingError.notSharded(name: "--architecture \(architectureOptions.architecture)", detail: "sharded architectures: standard, topk, jumprelu")
        }
        if architectureOptions.rescaleActsByDecoderNorm {
            throw ShardingError.notSharded(name: "--rescale-acts-by-decoder-norm", detail: "TopK selection on decoder-norm-scaled pre-activations")
        }
        if architectureOptions.useMatryoshkaAuxLoss {       // a matryoshka option (validate()), so refused above already; named for clarity
            throw ShardingError.notSharded(name: "--use-matryoshka-aux-loss", detail: "Matryoshka's per-level AuxK")
        }
        if reg != 0 || previous != nil {
            throw ShardingError.notSharded(name: reg != 0 ? "--reg" : "--previous", detail: "anchor regularisation toward a previous SAE")
        }
        if let threads { Threads.setDefault(threads) }
        let outURL = URL(fileURLWithPath: out).standardizedFileURL
        let fm = FileManager.default
        let current = try fingerprint()
        // Only rank 0 looks at and writes the output directory.
        var nothingToDo = false
        if comm.isRoot {
            try OutputDirectory.removeInterruptedWrites(in: outURL)
            if resume.restart {
                for name in Self.outputs { try? fm.removeItem(at: outURL.appendingPathComponent(name)) }
            }
            let stateDir = outURL.appendingPathComponent("trainer_state")
            if fm.fileExists(atPath: stateDir.path) {
                throw ShardingError.notSharded(
                    name: "resuming \(stateDir.path)",
                    detail: "a sharded run saves no trainer state; pass --restart to train afresh, or resume with `saetrack train-sae`")
            }
            let hasWork = fm.fileExists(atPath: outURL.appendingPathComponent("sae_weights.safetensors").path)
            let accepted = hasWork ? try resume.check(current, in: outURL, command: "train-sae") : []
            let finished = fm.fileExists(atPath: outURL.appendingPathComponent("training_config.json").path) && hasWork
            if try finished && accepted.isEmpty && RunFingerprint.read(from: outURL) != nil {
                print("train-sae: \(outURL.path) already holds this run, finished (same inputs and settings); nothing to do. Pass --restart to train again.")
                nothingToDo = true
            } else {
                for c in accepted { StandardError.writeLine("warning: continuing with a changed input: \(c)") }
                try OutputDirectory.requireWritable(outURL)
                try current.write(to: outURL)
            }
        }
        if try agree(nothingToDo, comm) { return }

        // Activations: every rank builds the same source and so draws the same batches.
        var source: any ActivationSource
        var evalSet: Matrix
        var lm: TransformerLM? = nil
        var hookPoint: HookPoint? = nil
        var evalTokenRows: (tokens: [Int32], rows: Int, context: Int)? = nil
        var provenance = SAEProvenance(prependBOS: true)
        var sourceInfo: [String: String] = [:]
        var dataTokens = 0
        if let activations {
            let all = try ActivationShard.read(URL(fileURLWithPath: activations))
            try NonFiniteDataError.check(all, source: activations, tensor: "activations", rowMeaning: "row")
            let held = min(evalTokens, all.rows / 5)
            evalSet = all.rows((all.rows - held)..<all.rows)
            dataTokens = all.rows - held
            if noShuffle {
                source = InMemoryActivations(all.rows(0..<(all.rows - held)), seed: seed, shuffled: false)
            } else {
                source = try MixingActivationStore(producer: MatrixActivationProducer(all.rows(0..<(all.rows - held))),
                                                   halfBufferTokens: min(bufferTokens, max(1, (all.rows - held) / 2)), seed: seed)
            }
            sourceInfo["batch_order"] = noShuffle ? "file" : "shuffled"
            sourceInfo["activations_file"] = URL(fileURLWithPath: activations).standardizedFileURL.path
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
            dataTokens = trainRows * rows.context
            let producer = try LMActivationProducer(model: m, tokens: Array(rows.tokens[0..<(trainRows * rows.context)]),
                                                    rows: trainRows, context: rows.context, hook: hp, centered: center,
                                                    includeBOS: !excludeBOS)
            let evalTok = Array(rows.tokens[(trainRows * rows.context)...])
            evalSet = comm.isRoot ? m.activations(tokens: evalTok, rows: evalRows, context: rows.context, at: hp, centered: center)
                : Matrix(rows: 0, cols: dir.config.dModel)
            try NonFiniteDataError.check(evalSet, source: "\(modelURL.path) at \(hp.name)", tensor: "activations",
                                         rowMeaning: "held-out token")
            evalTokenRows = (evalTok, evalRows, rows.context)
            if let cache {
                // Rank 0 writes the cache; the others wait for it, then every rank reads it.
                let cacheURL = URL(fileURLWithPath: cache)
                if comm.isRoot && !fm.fileExists(atPath: cacheURL.appendingPathComponent("cache.json").path) {
                    StandardError.writeLine("caching activations of \(trainRows) token rows to \(cache)")
                    _ = try ActivationCache.write(producer, to: cacheURL, dtype: ActivationDType(name: cacheDType)!)
                }
                try comm.barrier()
                source = try MixingActivationStore(producer: try ActivationCacheReader(cacheURL), halfBufferTokens: bufferTokens, seed: seed)
            } else {
                source = try MixingActivationStore(producer: producer, halfBufferTokens: bufferTokens, seed: seed)
            }
            lm = m; hookPoint = hp
            provenance.modelName = modelURL.lastPathComponent
            provenance.hookName = hp.name
            provenance.contextSize = rows.context
            provenance.centered = center
            provenance.lmWeightsSHA256 = try dir.weightsSHA256()
            sourceInfo["model_directory"] = modelURL.standardizedFileURL.path
            sourceInfo["tokens_file"] = URL(fileURLWithPath: tokens!).standardizedFileURL.path
            sourceInfo["include_bos"] = String(!excludeBOS)
        }

        // Config: the stage column, then the flags (as `saetrack train-sae`).
        let dIn = source.dIn
        let d = dSAE ?? expansion * dIn
        let budget = trainTokens ?? (stage == "first" ? 300_000_000 : 15_000_000)
        var config = stage == "first"
            ? SAETrainingConfig.firstStage(dIn: dIn, dSAE: d, tokens: budget, batchSize: batchSize, seed: seed)
            : SAETrainingConfig.continualStage(dIn: dIn, dSAE: d, tokens: budget, batchSize: batchSize, seed: seed)
        if let steps { config.steps = steps }
        try architectureOptions.apply(to: &config)
        try jumpReLU.training().apply(to: &config)
        if let lr { config.lr = lr }
        if let warmup { config.warmupSteps = warmup }
        config.schedule = schedule == "constant" ? .constantWithWarmup : .warmupLinearDecay
        config.decaySteps = decaySteps
        config.lrEnd = lrEnd
        if let l1 { config.l1Coefficient = l1 }
        config.l1WarmupSteps = l1Warmup
        config.mseMode = loss == "sae-track" ? .saeTrack : .saeLens
        config.decoderNormMode = decoderNorm == "unit" ? .unitNorm : .free
        config.l1Mode = (loss == "saelens" || decoderNorm == "free") ? .decoderNormWeighted : .plain
        if loss == "saelens" { config.removeParallelGradient = false }
        config.ghostGrads = ghostGrads
        if let deadWindow { config.deadFeatureWindow = deadWindow }
        if let samplingWindow { config.featureSamplingWindow = samplingWindow }
        config.regCoefficient = reg
        config.logEvery = logEvery
        config.saveEvery = saveEvery
        config.bDecInitSamples = min(config.bDecInitSamples, bufferTokens)
        initialisation.choices.apply(to: &config)       // auto resolved for the architecture and loss set above
        try ShardingError.check(config)     // before any work: unsharded settings refused by name
        if previous != nil { throw ShardingError.notSharded(name: "--previous", detail: "anchor regularisation toward a previous SAE") }

        let initialSAE = try initial.map { try SparseAutoencoder.load(from: URL(fileURLWithPath: $0)) }
        let trainer = try ShardedSAETrainer(config: config, initial: initialSAE, source: source, communicator: comm)
        comm.resetTraffic()
        let total = trainer.config.steps
        let started = Date()
        let cpuStarted = Self.cpuSeconds()
        say("train-sae: \(trainer.config.architecture.rawValue) SAE d_in \(dIn) d_sae \(d), \(total) steps × \(batchSize) tokens, "
            + "\(comm.size) ranks × \(Threads.count) threads, shard of rank 0: \(trainer.shard.count) latents", comm)
        say("cost: " + CostEstimate.line(steps: total, batchSize: trainer.config.batchSize, dataTokens: dataTokens), comm)
        let env = ProcessInfo.processInfo.environment
        let killAtStep = env["SAETRACK_FAULT_KILL_AT_STEP"].flatMap { Int($0) }
        let killRank = env["SAETRACK_MPI_FAULT_RANK"].flatMap { Int($0) } ?? 0
        let every = max(1, trainer.config.saveEvery > 0 ? trainer.config.saveEvery : total)
        var estimated = false
        repeat {
            let logged = trainer.log.count
            let next = min(total, (trainer.step / every + 1) * every)
            let probeEnd = estimated ? next : min(next, trainer.step + 3)
            try trainer.train(untilStep: probeEnd) { [self] e in
                let done = Double(e.step), left = Double(total - e.step)
                let eta = done > 0 ? Date().timeIntervalSince(started) / done * left : 0
                say(String(format: "step %d/%d  loss %.5g  mse %.4g  L0 %.1f  EV %.3f  dead %d  %.0f tok/s  ETA %@",
                           e.step, total, e.terms.loss, e.terms.mse, e.terms.l0, e.terms.explainedVariance,
                           e.deadFeatures, e.tokensPerSecond, ProgressClock.format(eta)), comm)
                // Fault injection for the tests: SIGKILL one rank once this step is logged.
                if let killAtStep, e.step >= killAtStep, comm.rank == killRank { kill(getpid(), SIGKILL) }
            }
            if !estimated {
                estimated = true
                let perStep = Date().timeIntervalSince(started) / Double(max(1, trainer.step))
                say("estimate: " + CostEstimate.duration(perStep * Double(total))
                    + String(format: " (%.3g s per step, measured over the first %d)", perStep, trainer.step), comm)
            }
            // The log is the same on every rank, so every rank stops together.
            if let problem = TrainingDivergence.problem(in: trainer.log[logged...], reference: trainer.log.first?.terms.loss) {
                throw TrainingDivergedError(run: "train-sae \(outURL.path)", step: problem.step, reason: problem.reason, keptState: nil)
            }
        } while trainer.step < total
        let seconds = Date().timeIntervalSince(started), cpu = Self.cpuSeconds() - cpuStarted
        let traffic = trainer.communicator.traffic
        let gathered = try trainer.gatherResult()
        let perRank = try Self.gatherTraffic(traffic, seconds: seconds, cpu: cpu, comm: comm)
        guard let result = gathered, let perRank else { return }      // ranks > 0 are done

        if let problem = TrainingDivergence.problem(in: result.sae) {
            throw TrainingDivergedError(run: "train-sae \(outURL.path)", step: trainer.step, reason: problem, keptState: nil)
        }
        try writeOutputs(result, config: trainer.config, outURL: outURL, current: current, evalSet: evalSet, lm: lm,
                         hookPoint: hookPoint, evalTokenRows: evalTokenRows, provenance: provenance, sourceInfo: sourceInfo)
        let report = MPITrafficReport(ranks: comm.size, steps: result.steps, batchSize: trainer.config.batchSize, dIn: dIn,
                                      dSAE: d, k: trainer.config.architecture == .topk ? trainer.config.k : 0, perRank: perRank)
        try JSONFile.write(report, to: outURL.appendingPathComponent("mpi_traffic.json"))
        StandardError.writeLine(report.summary)
    }

    /// Rank 0's files, exactly those of `saetrack train-sae`.
    private func writeOutputs(_ result: SAETrainingResult, config: SAETrainingConfig, outURL: URL, current: RunFingerprint,
                              evalSet: Matrix, lm: TransformerLM?, hookPoint: HookPoint?,
                              evalTokenRows: (tokens: [Int32], rows: Int, context: Int)?, provenance: SAEProvenance,
                              sourceInfo: [String: String]) throws {
        var sourceInfo = sourceInfo
        let d = config.dSAE
        try result.sae.save(to: outURL, provenance: provenance)
        try current.write(to: outURL)
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
        if let lm, let hookPoint, let t = evalTokenRows {
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
        let training = try JSONSerialization.jsonObject(with: try JSONFile.encoder().encode(config))
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: ["config": training, "source": sourceInfo],
                                                        options: [.prettyPrinted, .sortedKeys]),
                             to: outURL.appendingPathComponent("training_config.json"))
        print(String(format: "SAE written to %@  (L0 %.1f, EV %.3f, dead %.1f%%)", outURL.path, evaluation.l0,
                     evaluation.explainedVariance, 100 * evaluation.deadFraction))
    }

    /// Every rank's byte counts and timings on rank 0 (nil elsewhere).
    static func gatherTraffic(_ t: MPITraffic, seconds: Double, cpu: Double, comm: MPICommunicator) throws -> [MPITrafficReport.Rank]? {
        let kinds = MPITrafficKind.allCases
        let mine = kinds.map { Double(t.bytes[$0] ?? 0) } + [Double(t.messages), seconds, cpu, t.seconds]
        let width = mine.count
        guard let all = try comm.gatherToRoot(mine, counts: [Int](repeating: width, count: comm.size), kind: .scalars) else { return nil }
        return (0..<comm.size).map { r in
            let row = Array(all[(r * width)..<((r + 1) * width)])
            var bytes: [String: Int] = [:]
            for (i, k) in kinds.enumerated() where k != .gather { bytes[k.rawValue] = Int(row[i]) }
            return MPITrafficReport.Rank(rank: r, bytes: bytes, messages: Int(row[kinds.count]),
                                         seconds: row[kinds.count + 1], cpuSeconds: row[kinds.count + 2],
                                         mpiSeconds: row[kinds.count + 3])
        }
    }

    /// CPU time of this process so far (user + system, all threads).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

}
