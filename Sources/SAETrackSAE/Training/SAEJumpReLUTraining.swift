/// Every JumpReLU training option in one value (SAELens 6.54.12 `JumpReLUTrainingSAEConfig`, same
/// keys), as a track's settings and the CLI carry them; ``apply(to:warmUp:)`` copies them into a
/// ``SAETrainingConfig``, whose fields document each option.
public struct SAEJumpReLUTraining: Codable, Equatable, Sendable {
    /// `jumprelu_bandwidth` (default 0.05).
    public var bandwidth: Float = 0.05
    /// `jumprelu_init_threshold` (default 0.01), θ of a from-scratch SAE.
    public var initThreshold: Float = 0.01
    /// `l0_coefficient` (default 1).
    public var l0Coefficient: Float = 1
    /// `l0_warm_up_steps` (default 0: off).
    public var l0WarmupSteps: Int = 0
    /// `jumprelu_sparsity_loss_mode` (default step).
    public var sparsity: SAEJumpReLUSparsity = .step
    /// `target_l0` (quadratic; 0 = unset).
    public var targetL0: Float = 0
    /// `jumprelu_tanh_scale` (tanh; default 4).
    public var tanhScale: Float = 4
    /// `pre_act_loss_coefficient` (nil = off).
    public var preActLossCoefficient: Float? = nil
    /// `jumprelu_ste_to_input` (default false).
    public var steToInput: Bool = false

    /// SAELens's defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case bandwidth = "jumprelu_bandwidth", initThreshold = "jumprelu_init_threshold"
        case l0Coefficient = "l0_coefficient", l0WarmupSteps = "l0_warm_up_steps"
        case sparsity = "jumprelu_sparsity_loss_mode", targetL0 = "target_l0", tanhScale = "jumprelu_tanh_scale"
        case preActLossCoefficient = "pre_act_loss_coefficient", steToInput = "jumprelu_ste_to_input"
    }

    /// Copies the options into `config` (`SAETrainingConfig.validate()` then refuses the ones that
    /// belong to JumpReLU alone on another architecture). `warmUp` false leaves the L0 coefficient
    /// without warm-up (a warm-started stage starts from trained thresholds).
    public func apply(to config: inout SAETrainingConfig, warmUp: Bool = true) {
        config.jumpReLUBandwidth = bandwidth
        config.jumpReLUInitThreshold = initThreshold
        config.l0Coefficient = l0Coefficient
        config.l0WarmupSteps = warmUp ? l0WarmupSteps : 0
        config.jumpReLUSparsity = sparsity
        config.targetL0 = targetL0
        config.jumpReLUTanhScale = tanhScale
        config.preActLossCoefficient = preActLossCoefficient
        config.jumpReLUSTEToInput = steToInput
    }
}
