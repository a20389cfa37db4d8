/// Hyperparameters of one language-model training run (defaults: the demo model's settings in
/// Docs/Demo.md — AdamW lr 2e-3, weight decay 0.01, 50 warmup steps then cosine, clip 1.0,
/// batch 16 × 128, 600 steps).
public struct LMTrainingConfig: Codable, Equatable, Sendable {
    /// Optimizer updates.
    public var steps: Int = 600
    /// Token rows per batch (each row is one `context`-long sequence of the token file).
    public var batchRows: Int = 16
    /// Tokens per row used for training (≤ the token file's row length; rows are truncated).
    public var context: Int = 128
    /// Peak learning rate.
    public var learningRate: Float = 2e-3
    /// The cosine decays to `minLearningRateRatio · learningRate`.
    public var minLearningRateRatio: Float = 0.1
    /// Linear warmup steps.
    public var warmupSteps: Int = 50
    /// AdamW decoupled weight decay (matrices and embeddings only).
    public var weightDecay: Float = 0.01
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// Global gradient-norm clip (0 disables).
    public var gradClip: Float = 1.0
    /// Seeds the initialisation and the batch order.
    public var seed: UInt64 = 0
    /// Standard deviation of the initial weights (HF `initializer_range`).
    public var initializerRange: Float = 0.02
    /// Steps between progress lines on stderr.
    public var logEvery: Int = 10

    enum CodingKeys: String, CodingKey {
        case steps, context, seed, epsilon
        case batchRows = "batch_rows", learningRate = "lr", minLearningRateRatio = "min_lr_ratio"
        case warmupSteps = "warmup_steps", weightDecay = "weight_decay", beta1 = "beta1", beta2 = "beta2"
        case gradClip = "grad_clip", initializerRange = "initializer_range", logEvery = "log_every"
    }

    public init() {}

    /// The learning-rate schedule these settings describe.
    public var schedule: LearningRateSchedule {
        LearningRateSchedule(peak: learningRate, warmupSteps: warmupSteps, totalSteps: steps, minRatio: minLearningRateRatio)
    }

    /// Throws ``LMTrainingError/invalidTrainingConfig(_:)`` naming the first bad value.
    public func validate() throws {
        func bad(_ r: String) -> LMTrainingError { .invalidTrainingConfig(r) }
        guard steps >= 0 else { throw bad("steps must be ≥ 0, got \(steps)") }
        guard batchRows >= 1 else { throw bad("batch rows must be ≥ 1, got \(batchRows)") }
        guard context >= 2 else { throw bad("context must be ≥ 2 (one next-token target), got \(context)") }
        guard learningRate >= 0, learningRate.isFinite else { throw bad("lr must be ≥ 0, got \(learningRate)") }
        guard warmupSteps >= 0 else { throw bad("warmup steps must be ≥ 0, got \(warmupSteps)") }
        guard weightDecay >= 0 else { throw bad("weight decay must be ≥ 0, got \(weightDecay)") }
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else { throw bad("betas must be in [0, 1)") }
        guard gradClip >= 0 else { throw bad("grad clip must be ≥ 0, got \(gradClip)") }
        guard logEvery >= 1 else { throw bad("log every must be ≥ 1") }
    }
}
