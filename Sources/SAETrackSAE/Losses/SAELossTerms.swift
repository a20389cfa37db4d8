/// The scalar terms of one training step's loss, and the batch statistics logged with them.
public struct SAELossTerms: Sendable, Equatable, Codable {
    /// mse + innerMSE + l1 + ghost + auxK + preAct + reg
    public var loss: Float = 0
    /// Reconstruction term in the configured form (`SAEMSEMode`).
    public var mse: Float = 0
    /// Matryoshka: the sum of the inner (prefix) levels' reconstruction terms, in the same form; 0 otherwise.
    /// (Logs written before Matryoshka existed decode it as 0.)
    @DecodedDefault<TrainingDefaults.ZeroFloat> public var innerMSE: Float
    /// l1 coefficient · sparsity.
    public var l1: Float = 0
    /// The un-weighted sparsity (SAE-Track's `losses/l1_loss`).
    public var sparsity: Float = 0
    /// Ghost-grad loss (Docs/Method.md §4.3), 0 when inactive.
    public var ghost: Float = 0
    /// AuxK loss (coefficient and scale included), 0 when inactive.
    public var auxK: Float = 0
    /// JumpReLU: Anthropic's pre-activation loss on dead latents (coefficient included), 0 when inactive.
    /// (Logs written before the option existed decode it as 0.)
    @DecodedDefault<TrainingDefaults.ZeroFloat> public var preAct: Float
    /// reg_coefficient · (‖ΔW_enc‖² + ‖ΔW_dec‖²).
    public var reg: Float = 0
    /// Mean active features per token.
    public var l0: Float = 0
    /// 1 − mean_b‖x̂ − x‖² / mean_b‖x − mean_batch(x)‖² (numerator and denominator averaged separately).
    public var explainedVariance: Float = 0
    /// Dead features used by ghost grads / AuxK in this step.
    public var deadCount: Int = 0

    enum CodingKeys: String, CodingKey {
        case loss, mse, innerMSE = "inner_mse", l1, sparsity, ghost, auxK = "aux_k", preAct = "pre_act", reg, l0
        case explainedVariance = "explained_variance", deadCount = "dead_features"
    }
}
