import Foundation

/// Held-out evaluation of one SAE on its checkpoint's evaluation activations (and, when the
/// language model is available, its next-token loss with the SAE spliced in).
public struct StageMetrics: Codable, Equatable, Sendable {
    /// SAE-Track's loss on the evaluation set: normalised MSE + l1 · L1 (Docs/Method.md §3.2).
    public var loss: Double
    /// SAE-Track's normalised MSE (squared error / ‖x − batch mean‖₂, averaged over B·d).
    public var mse: Double
    /// Mean active features per token.
    public var l0: Double
    /// 1 − Σ‖x̂ − x‖² / Σ‖x − mean(x)‖² over the evaluation set.
    public var explainedVariance: Double
    /// Fraction of features that never fire on the evaluation set.
    public var deadFraction: Double
    /// Mean ‖x̂‖ / ‖x‖.
    public var l2Ratio: Double
    /// Next-token CE of the unmodified model on the evaluation rows.
    public var lmLoss: Double?
    /// CE with the hook replaced by the reconstruction, and by zeros.
    public var reconstructedLoss: Double?
    public var zeroAblatedLoss: Double?
    /// (L_zero − L_recon) / (L_zero − L_clean).
    public var ceRecovered: Double? {
        guard let c = lmLoss, let r = reconstructedLoss, let z = zeroAblatedLoss, abs(z - c) > 1e-12 else { return nil }
        return (z - r) / (z - c)
    }

    enum CodingKeys: String, CodingKey {
        case loss, mse, l0, explainedVariance = "explained_variance", deadFraction = "dead_fraction"
        case l2Ratio = "l2_ratio", lmLoss = "lm_loss", reconstructedLoss = "reconstructed_loss"
        case zeroAblatedLoss = "zero_ablated_loss"
    }

    public init(loss: Double, mse: Double, l0: Double, explainedVariance: Double, deadFraction: Double, l2Ratio: Double,
                lmLoss: Double? = nil, reconstructedLoss: Double? = nil, zeroAblatedLoss: Double? = nil) {
        self.loss = loss; self.mse = mse; self.l0 = l0; self.explainedVariance = explainedVariance
        self.deadFraction = deadFraction; self.l2Ratio = l2Ratio; self.lmLoss = lmLoss
        self.reconstructedLoss = reconstructedLoss; self.zeroAblatedLoss = zeroAblatedLoss
    }
}

/// One logged point of an SAE training run (the deterministic part of the trainer's log:
/// no wall-clock fields, so a resumed run writes the same `track.json`).
public struct TrainingPoint: Codable, Equatable, Sendable {
    public var step: Int
    public var loss: Double
    public var mse: Double
    public var l0: Double
    public var explainedVariance: Double
    public var deadFeatures: Int

    enum CodingKeys: String, CodingKey {
        case step, loss, mse, l0, explainedVariance = "explained_variance", deadFeatures = "dead_features"
    }

    public init(step: Int, loss: Double, mse: Double, l0: Double, explainedVariance: Double, deadFeatures: Int) {
        self.step = step; self.loss = loss; self.mse = mse; self.l0 = l0
        self.explainedVariance = explainedVariance; self.deadFeatures = deadFeatures
    }
}
