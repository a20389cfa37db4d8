/// The settings of one crosscoder training run (``CrosscoderTrainer``).
public struct CrosscoderTrainingConfig: Sendable, Equatable, Codable {
    /// Latents of the shared code.
    public var dSAE: Int
    public var sparsity: CrosscoderSparsity
    /// Adam steps.
    public var steps: Int
    /// Tokens per step (every snapshot sees the same tokens).
    public var batchSize: Int
    /// Adam learning rate after the warm-up.
    public var lr: Float
    /// Linear learning-rate warm-up from lr/warmup to lr over this many steps (0: none).
    public var warmupSteps: Int = 0
    /// L1 form: the coefficient rises linearly from 0 over this many steps (Anthropic's ramp; 0: off).
    public var l1WarmupSteps: Int = 0
    /// Norm of every decoder row at initialisation (``CrosscoderParameters/initialised(snapshots:dIn:dSAE:decoderNorm:seed:)``).
    public var decoderInitNorm: Float = 0.1
    /// Rescale each snapshot's activations before training (``CrosscoderInputScaling``).
    public var inputScaling: CrosscoderInputScaling = .meanNorm
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    /// Seed of initialisation and batch order.
    public var seed: UInt64 = 42
    /// Log every N steps (and the last step).
    public var logEvery: Int = 100

    public init(dSAE: Int, sparsity: CrosscoderSparsity, steps: Int, batchSize: Int, lr: Float) {
        self.dSAE = dSAE; self.sparsity = sparsity; self.steps = steps; self.batchSize = batchSize; self.lr = lr
    }

    enum CodingKeys: String, CodingKey {
        case dSAE = "d_sae", sparsity, steps, batchSize = "batch_size", lr, warmupSteps = "warmup_steps"
        case l1WarmupSteps = "l1_warmup_steps", decoderInitNorm = "decoder_init_norm", inputScaling = "input_scaling"
        case beta1, beta2, seed, logEvery = "log_every"
    }

    /// Problems with these settings, one sentence each (empty when they are usable).
    public func problems() -> [String] {
        var p: [String] = []
        if dSAE <= 0 { p.append("d_sae must be positive (got \(dSAE))") }
        if steps <= 0 { p.append("steps must be positive (got \(steps))") }
        if batchSize <= 0 { p.append("batch size must be positive (got \(batchSize))") }
        if !(lr > 0) || !lr.isFinite { p.append("learning rate must be a positive number (got \(lr))") }
        if warmupSteps < 0 || l1WarmupSteps < 0 { p.append("warm-up steps must be ≥ 0") }
        if !(decoderInitNorm > 0) || !decoderInitNorm.isFinite { p.append("decoder init norm must be positive (got \(decoderInitNorm))") }
        if logEvery <= 0 { p.append("log every must be positive (got \(logEvery))") }
        switch sparsity {
        case let .l1(c): if !(c >= 0) || !c.isFinite { p.append("L1 coefficient must be a number ≥ 0 (got \(c))") }
        case let .batchTopK(k): if k <= 0 || k > dSAE { p.append("k must be in 1...d_sae (\(dSAE)) (got \(k))") }
        }
        return p
    }

    /// The learning rate of 1-based step t.
    public func learningRate(step t: Int) -> Float {
        warmupSteps > 0 && t <= warmupSteps ? lr * Float(t) / Float(warmupSteps) : lr
    }

    /// The sparsity setting of 1-based step t (the L1 coefficient ramped when ``l1WarmupSteps`` > 0).
    public func sparsity(step t: Int) -> CrosscoderSparsity {
        if case let .l1(c) = sparsity, l1WarmupSteps > 0, t < l1WarmupSteps { return .l1(coefficient: c * Float(t) / Float(l1WarmupSteps)) }
        return sparsity
    }
}

/// How each snapshot's activations are scaled before the crosscoder sees them.
///
/// Activation norms change by large factors over pre-training, and the crosscoder's loss sums
/// every snapshot's squared error, so without scaling the largest snapshot dominates both the
/// loss and the decoder norms. ``meanNorm`` follows Anthropic's crosscoder note: snapshot s is
/// multiplied by the constant `c_s = √d_in / mean_b ‖x_bs‖` (measured on the training tokens), so
/// every snapshot has mean norm √d_in and decoder norms compare across snapshots. The factors are
/// written with the weights; reconstructions, MSE and decoder norms are in the scaled space.
public enum CrosscoderInputScaling: String, Sendable, Equatable, Codable, CaseIterable {
    case meanNorm = "mean-norm"
    case none
}
