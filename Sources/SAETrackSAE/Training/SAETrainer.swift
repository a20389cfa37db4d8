import Foundation
import SAETrackCore

/// Trains one SAE, step by step exactly as SAE-Track's `_train_step` (Docs/Method.md §4.1):
///
/// 1. renormalise decoder rows (`unitNorm`);
/// 2. every `featureSamplingWindow` steps ((s+1) % window == 0): record firing frequencies, reset;
/// 3. dead = features with `passesSinceFired > deadFeatureWindow`;
/// 4. forward + loss (+ ghost grads / AuxK over the dead set);
/// 5. counters: passesSinceFired += 1, reset where fired; firingCounts += Σ_b 1[f > 0];
/// 6–7. backward, parallel-gradient removal (`SAEObjective`);
/// 8. Adam at `lr(s)` (`SAETrainingConfig.learningRate(atStep:)`).
///
/// From scratch: seeded Kaiming init + b_dec from an activation sample (geometric median by
/// default). Warm start (`initial:`): all four tensors copied, fresh Adam — an SAE-Track stage.
/// Deterministic for a seed and a thread count; `saveState(to:)` / `init(resumingFrom:source:)`
/// continue a run bit-identically.
public final class SAETrainer {
    public let config: SAETrainingConfig
    public private(set) var parameters: SAEParameters
    public private(set) var optimizer: Adam
    /// Optimizer steps taken.
    public private(set) var step = 0
    /// Steps since each feature last fired (SAE-Track `n_forward_passes_since_fired`).
    public internal(set) var passesSinceFired: [Int32]
    /// Tokens each feature fired on in the current sampling window (`act_freq_scores`).
    public private(set) var firingCounts: [Float]
    /// Tokens seen in the current sampling window (`n_frac_active_tokens`).
    public private(set) var windowTokens = 0
    /// BatchTopK's running threshold (SAELens `topk_threshold`, kept in Double as SAELens does): the
    /// EMA of each step's smallest selected code (`SAEObjective.Result.smallestSelected`, in the
    /// units of pre ⊙ ‖W_dec[i]‖ with the decoder-norm rescale), the JumpReLU threshold of the trained
    /// SAE. 0 for the other architectures.
    public private(set) var topkThreshold: Double = 0
    /// JumpReLU's trained thresholds θ (d_sae; empty for the other architectures), with their Adam
    /// moments (same step count and hyperparameters as ``optimizer``).
    public private(set) var threshold: [Float] = []
    private(set) var thresholdM: [Float] = []
    private(set) var thresholdV: [Float] = []
    /// Firing frequency of the last completed sampling window.
    public private(set) var lastWindowFrequency: [Float]
    public private(set) var log: [SAETrainingLogEntry] = []
    /// The frozen anchor for `regCoefficient`.
    public let previous: SAEParameters?
    public var source: any ActivationSource
    /// Where `saveEvery` writes the resumable state (nil: never).
    public var stateDirectory: URL?

    private let objective: SAEObjective
    private let workspace = SAEStepWorkspace()

    /// A trainer from scratch (`initial == nil`) or warm-started from `initial`.
    public init(config: SAETrainingConfig, initial: SparseAutoencoder? = nil, previous: SparseAutoencoder? = nil,
                source: any ActivationSource) throws {
        try config.validate()
        guard source.dIn == config.dIn else {
            throw SAETrainingError.shapeMismatch("activation source has d_in \(source.dIn), config has \(config.dIn)")
        }
        for (name, sae) in [("initial", initial), ("previous", previous)] {
            if let s = sae, s.dIn != config.dIn || s.dSAE != config.dSAE {
                throw SAETrainingError.shapeMismatch("\(name) SAE is (\(s.dIn), \(s.dSAE)), config is (\(config.dIn), \(config.dSAE))")
            }
        }
        self.config = config
        self.source = source
        self.previous = previous.map(SAEParameters.init)
        objective = SAEObjective(config)
        optimizer = Adam(dIn: config.dIn, dSAE: config.dSAE, beta1: config.adamBeta1, beta2: config.adamBeta2,
                         epsilon: config.adamEpsilon)
        passesSinceFired = [Int32](repeating: 0, count: config.dSAE)
        firingCounts = [Float](repeating: 0, count: config.dSAE)
        lastWindowFrequency = [Float](repeating: 0, count: config.dSAE)
        if let initial {
            parameters = SAEParameters(initial)
            // Warm start carries BatchTopK's (and Matryoshka's) threshold (a JumpReLU SAE with one shared threshold).
            if config.architecture.selectsBatchTopK, let th = initial.activation.threshold, !th.isEmpty {
                topkThreshold = th.reduce(0.0) { $0 + Double($1) } / Double(th.count)
            }
            if config.architecture == .jumprelu, let th = initial.activation.threshold { threshold = th }
        } else {
            switch config.weightInit {
            case .saeTrack: parameters = SAEParameters.kaimingUniform(dIn: config.dIn, dSAE: config.dSAE, seed: config.seed)
            case .tied: parameters = SAEParameters.tied(dIn: config.dIn, dSAE: config.dSAE, seed: config.seed,
                                                        decoderNorm: config.decoderInitNorm)
            }
            switch config.bDecInit {
            case .zeros: break
            case .mean:
                let sample = try self.source.initialisationSample(config.bDecInitSamples)
                parameters.bDec = SAEObjective.columnMeans(sample)
            case .geometricMedian:
                let sample = try self.source.initialisationSample(config.bDecInitSamples)
                parameters.bDec = GeometricMedian.compute(sample, maxIterations: 100)
            }
        }
        if config.decoderNormMode == .unitNorm { parameters.normaliseDecoderRows() }       // step 1 of the first step
        if config.architecture == .jumprelu {
            if threshold.isEmpty { threshold = [Float](repeating: config.jumpReLUInitThreshold, count: config.dSAE) }
            thresholdM = [Float](repeating: 0, count: config.dSAE)
            thresholdV = thresholdM
        }
    }

    /// The SAE as it stands (decoder renormalised first in `unitNorm` mode, as SAE-Track saves it).
    public var sae: SparseAutoencoder {
        var p = parameters
        if config.decoderNormMode == .unitNorm { p.normaliseDecoderRows() }
        switch config.architecture {
        case .standard: return p.autoencoder(activation: .relu)
        case .topk:
            var sae = p.autoencoder(activation: .topK(config.k))
            sae.rescalesActsByDecoderNorm = config.rescaleActsByDecoderNorm
            return sae
        case .batchtopk, .matryoshka:
            // SAELens's inference SAE: a JumpReLU SAE at the running threshold; with the decoder-norm
            // rescale the norms are folded into the weights (the threshold is in rescaled units already).
            if config.rescaleActsByDecoderNorm { p = p.foldingDecoderNorms() }
            return p.autoencoder(activation: .jumpReLU(threshold: [Float](repeating: Float(topkThreshold), count: config.dSAE)))
        case .jumprelu:
            return p.autoencoder(activation: .jumpReLU(threshold: threshold.map { max($0, 0) }))
        }
    }

    /// Features currently dead (silent for more than `deadFeatureWindow` steps), increasing.
    public var deadFeatures: [Int32] {
        let window = config.deadFeatureWindow
        var out: [Int32] = []
        for (i, n) in passesSinceFired.enumerated() where Int(n) > window { out.append(Int32(i)) }
        return out
    }

    /// Runs one training step on the source's next batch; returns that batch's loss terms.
    @discardableResult
    public func trainStep() throws -> SAELossTerms {
        let s = step
        // 1: decoder rows are unit here in `unitNorm` mode — normalised at construction, then by the
        //    previous step's Adam pass right after each row's update (the same values, one pass fewer).
        if (s + 1) % config.featureSamplingWindow == 0 {                                   // 2
            lastWindowFrequency = firingCounts.map { $0 / Float(max(windowTokens, 1)) }
            firingCounts = [Float](repeating: 0, count: config.dSAE)
            windowTokens = 0
        }
        if let r = config.resampling, r.steps.contains(s) { try resampleDeadFeatures(r) }
        let dead = deadFeatures                                                             // 3
        let batch = try source.nextBatch(config.batchSize)
        var obj = objective
        obj.l1Coefficient = config.l1Coefficient(atStep: s)
        obj.l0Coefficient = config.l0Coefficient(atStep: s)
        if config.architecture == .jumprelu {                                               // SAELens keeps θ ≥ 0
            for i in threshold.indices where threshold[i] < 0 { threshold[i] = 0 }
        }
        var result = obj.evaluate(parameters, batch: batch, deadFeatures: dead, previous: previous,
                                  threshold: config.architecture == .jumprelu ? threshold : nil,
                                  workspace: workspace)                                     // 4, 6, 7
        updateCounters(result.codes)                                                        // 5
        if let smallest = result.smallestSelected {                                        // SAELens update_topk_threshold
            topkThreshold = (1 - config.topkThresholdLR) * topkThreshold + config.topkThresholdLR * Double(smallest)
        }
        let gradients = result.gradients!
        result.gradients = nil
        var clipFactor: Float = 1                                                           // SAELens's trainer
        if let maxNorm = config.clipGradNorm {
            clipFactor = GradientClipping.factor(gradients, threshold: result.thresholdGradient, maxNorm: maxNorm).factor
            if clipFactor < 1, var g = result.thresholdGradient {
                for t in g.indices { g[t] *= clipFactor }
                result.thresholdGradient = g
            }
        }
        optimizer.update(&parameters, gradients: gradients, lr: config.learningRate(atStep: s),
                         normaliseDecoderRows: config.decoderNormMode == .unitNorm,
                         gradientScale: clipFactor)                                          // 8 (+ next step's 1)
        if let g = result.thresholdGradient {
            optimizer.update(vector: &threshold, gradient: g, m: &thresholdM, v: &thresholdV, lr: config.learningRate(atStep: s))
        }
        workspace.gradients = gradients
        step += 1
        return result.terms
    }

    /// Features re-initialised by the last resampling (``DeadFeatureResampling``), increasing.
    public private(set) var lastResampled: [Int32] = []

    /// ``DeadFeatureResampling`` at the current step: draws `r.samples` activations from the source,
    /// re-initialises the features silent on all of them toward high-loss inputs (seeded by the
    /// config's seed and the step) and resets their Adam moments and dead-feature counters.
    public func resampleDeadFeatures(_ r: DeadFeatureResampling) throws {
        let sample = try source.nextBatch(r.samples)                                      // (samples, d_in)
        let (codes, xHat) = sae.encodeAndReconstruct(sample)
        let dead = DeadFeatureResampler.silentFeatures(codes)
        lastResampled = dead
        guard !dead.isEmpty else { return }
        let losses = DeadFeatureResampler.rowLosses(sample, xHat)
        let rows = DeadFeatureResampler.drawRows(losses: losses, count: dead.count,
                                                 seed: config.seed ^ (UInt64(step) &* 0xD1B5_4A32_D192_ED03))
        DeadFeatureResampler.reinitialise(&parameters, moments: &optimizer, features: dead, inputs: sample, rows: rows,
                                          encoderScale: r.encoderScale)
        for f in dead {
            let i = Int(f)
            passesSinceFired[i] = 0
            if config.architecture == .jumprelu {
                threshold[i] = config.jumpReLUInitThreshold; thresholdM[i] = 0; thresholdV[i] = 0
            }
        }
    }

    private func updateCounters(_ codes: SparseRows) {
        let m = config.dSAE
        firingCounts.withUnsafeMutableBufferPointer { counts in
            passesSinceFired.withUnsafeMutableBufferPointer { passes in
                codes.index.withUnsafeBufferPointer { ix in
                    // passes +1 everywhere, then 0 where a feature fired this batch.
                    for i in 0..<m { passes[i] &+= 1 }
                    for i in ix {
                        counts[Int(i)] += 1
                        passes[Int(i)] = 0
                    }
                }
            }
        }
        windowTokens += codes.rows
    }

    /// Trains until `config.steps` (or `untilStep`, if smaller), logging every `logEvery` steps and
    /// at the last step, and saving the state every `saveEvery` steps into `stateDirectory`.
    public func train(untilStep: Int? = nil, progress: ((SAETrainingLogEntry) -> Void)? = nil) throws -> SAETrainingResult {
        let end = min(untilStep ?? config.steps, config.steps)
        let start = Date()
        var lastTime = start
        var lastStep = step
        while step < end {
            let terms = try trainStep()
            let atLog = config.logEvery > 0 && step % config.logEvery == 0
            if atLog || step == config.steps {
                let now = Date()
                let dead = deadFeatures.count
                let meanPasses = Float(passesSinceFired.reduce(0) { $0 + Double($1) } / Double(max(config.dSAE, 1)))
                let entry = SAETrainingLogEntry(
                    step: step, tokens: step * config.batchSize, lr: config.learningRate(atStep: step - 1),
                    l1Coefficient: config.l1Coefficient(atStep: step - 1), terms: terms, deadFeatures: dead,
                    meanPassesSinceFired: meanPasses,
                    tokensPerSecond: Double((step - lastStep) * config.batchSize) / max(now.timeIntervalSince(lastTime), 1e-9),
                    elapsedSeconds: now.timeIntervalSince(start))
                log.append(entry)
                progress?(entry)
                lastTime = now; lastStep = step
            }
            if config.saveEvery > 0, step % config.saveEvery == 0, let dir = stateDirectory {
                try saveState(to: dir)
            }
        }
        let freq = windowTokens > 0 ? firingCounts.map { $0 / Float(windowTokens) } : lastWindowFrequency
        return SAETrainingResult(sae: sae, log: log, firingFrequency: freq, steps: step)
    }

    // MARK: - Resumable state

    /// Writes the full state (parameters, Adam moments and step, counters, log, config and the
    /// source's position) to `directory`, replacing it atomically.
    public func saveState(to directory: URL) throws {
        try SAETrainerState.write(self, to: directory)
    }

    /// Continues a run saved by `saveState(to:)`; `source` must be the same stream (it is moved to
    /// the saved position).
    public init(resumingFrom directory: URL, source: any ActivationSource, previous: SparseAutoencoder? = nil) throws {
        let state = try SAETrainerState.read(from: directory)
        config = state.config
        try config.validate()
        self.source = source
        try self.source.restoreState(from: directory)
        self.previous = previous.map(SAEParameters.init)
        objective = SAEObjective(config)
        parameters = state.parameters
        optimizer = state.optimizer
        step = state.step
        passesSinceFired = state.passesSinceFired
        firingCounts = state.firingCounts
        windowTokens = state.windowTokens
        lastWindowFrequency = state.lastWindowFrequency
        topkThreshold = state.topkThreshold
        threshold = state.threshold; thresholdM = state.thresholdM; thresholdV = state.thresholdV
        log = state.log
    }

    /// Snapshot used by ``SAETrainerState``.
    var snapshot: SAETrainerState {
        SAETrainerState(config: config, parameters: parameters, optimizer: optimizer, step: step,
                        passesSinceFired: passesSinceFired, firingCounts: firingCounts, windowTokens: windowTokens,
                        lastWindowFrequency: lastWindowFrequency, topkThreshold: topkThreshold,
                        threshold: threshold, thresholdM: thresholdM, thresholdV: thresholdV, log: log)
    }
}
