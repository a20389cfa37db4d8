/// The loss of one crosscoder batch, its parts, and per-snapshot reconstruction quality.
public struct CrosscoderLossTerms: Sendable, Equatable, Codable {
    /// ``mse`` + ``sparsity``: the quantity the gradients are of.
    public var loss: Float
    /// `Σ_s mean_b ‖x_bs − x̂_bs‖²`, the reconstruction term summed over snapshots.
    public var mse: Float
    /// The L1 form's penalty `λ · mean_b Σ_i f_bi Σ_s ‖W_dec[s,i]‖` (0 for BatchTopK).
    public var sparsity: Float
    /// Mean number of non-zero latents of the shared code per token. The code is shared, so this
    /// is one number for every snapshot.
    public var l0: Float
    /// `mean_b ‖x_bs − x̂_bs‖²` for each snapshot s.
    public var msePerSnapshot: [Float]
    /// `1 − Σ_b ‖x_bs − x̂_bs‖² / Σ_b ‖x_bs − mean_b x_bs‖²` for each snapshot s (SAELens's
    /// corrected explained variance, as `SAEEvaluation` reports it).
    public var explainedVariancePerSnapshot: [Float]

    enum CodingKeys: String, CodingKey {
        case loss, mse, sparsity, l0
        case msePerSnapshot = "mse_per_snapshot", explainedVariancePerSnapshot = "explained_variance_per_snapshot"
    }

    public init(loss: Float, mse: Float, sparsity: Float, l0: Float, msePerSnapshot: [Float], explainedVariancePerSnapshot: [Float]) {
        self.loss = loss; self.mse = mse; self.sparsity = sparsity; self.l0 = l0
        self.msePerSnapshot = msePerSnapshot; self.explainedVariancePerSnapshot = explainedVariancePerSnapshot
    }
}
