import Foundation

/// One logged training step.
public struct SAETrainingLogEntry: Codable, Sendable, Equatable {
    /// 1-based count of optimizer steps taken when this entry was logged.
    public var step: Int
    public var tokens: Int
    public var lr: Float
    public var l1Coefficient: Float
    /// Loss terms of the step's batch (before its update).
    public var terms: SAELossTerms
    /// Features silent for more than `deadFeatureWindow` steps.
    public var deadFeatures: Int
    public var meanPassesSinceFired: Float
    /// Throughput since the previous entry.
    public var tokensPerSecond: Double
    public var elapsedSeconds: Double

    enum CodingKeys: String, CodingKey {
        case step, tokens, lr, terms, deadFeatures = "dead_features"
        case l1Coefficient = "l1_coefficient"
        case meanPassesSinceFired = "mean_passes_since_fired"
        case tokensPerSecond = "tokens_per_second", elapsedSeconds = "elapsed_seconds"
    }

    /// CSV header matching ``csvRow``.
    public static let csvHeader = "step,tokens,lr,loss,mse,inner_mse,l1,sparsity,ghost,aux_k,pre_act,reg,l0,explained_variance,dead_features,mean_passes_since_fired,tokens_per_second,elapsed_seconds"

    /// One CSV line.
    public var csvRow: String {
        let t = terms
        return "\(step),\(tokens),\(lr),\(t.loss),\(t.mse),\(t.innerMSE),\(t.l1),\(t.sparsity),\(t.ghost),\(t.auxK),\(t.preAct),\(t.reg),\(t.l0),\(t.explainedVariance),\(deadFeatures),\(meanPassesSinceFired),\(tokensPerSecond),\(elapsedSeconds)"
    }
}

/// What a finished (or stopped) training run returns.
public struct SAETrainingResult: Sendable {
    /// The trained SAE (decoder rows unit-norm when `decoderNormMode == .unitNorm`).
    public var sae: SparseAutoencoder
    public var log: [SAETrainingLogEntry]
    /// Firing frequency per feature over the last completed sampling window (or the current one).
    public var firingFrequency: [Float]
    /// Steps taken.
    public var steps: Int
}
