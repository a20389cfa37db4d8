import ArgumentParser
import SAETrack

/// `--jumprelu-sparsity`: step, quadratic or tanh (the library's raw values, SAELens's names).
extension SAEJumpReLUSparsity: ExpressibleByArgument {}

/// JumpReLU's training options, shared by `train-sae` and `track` of `saetrack` and by
/// `saetrack-mpi train-sae` (SAELens `JumpReLUTrainingSAEConfig`).
public struct JumpReLUOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, help: "JumpReLU: width of the straight-through rectangle kernel (SAELens jumprelu_bandwidth).") public var jumpreluBandwidth: Float = 0.05
    @Option(name: .long, help: "JumpReLU: initial threshold of a from-scratch SAE (SAELens jumprelu_init_threshold).") public var jumpreluInitThreshold: Float = 0.01
    @Option(name: .long, help: "JumpReLU: coefficient of the sparsity loss (SAELens l0_coefficient).") public var l0Coefficient: Float = 1
    @Option(name: .customLong("l0-warmup"), help: "JumpReLU: linear warm-up of --l0-coefficient from 0 over this many steps (SAELens l0_warm_up_steps; 0: off; track: first stage only).") public var l0Warmup = 0
    @Option(name: .customLong("jumprelu-sparsity"), help: "JumpReLU: sparsity loss, step (c·mean L0), quadratic (c·mean 2/t·(L0 − t)², needs --target-l0) or tanh (c·mean Σ tanh(s·f·‖W_dec‖)); SAELens jumprelu_sparsity_loss_mode.") public var jumpreluSparsity = SAEJumpReLUSparsity.step
    @Option(name: .customLong("target-l0"), help: "JumpReLU quadratic: the target L0 t (SAELens target_l0).") public var targetL0: Float?
    @Option(name: .customLong("jumprelu-tanh-scale"), help: "JumpReLU tanh: the scale s (SAELens jumprelu_tanh_scale).") public var jumpreluTanhScale: Float = 4
    @Option(name: .customLong("pre-act-loss-coefficient"), help: "JumpReLU: coefficient of the pre-activation loss on dead latents, c·mean Σ_dead ReLU(θ − pre)·‖W_dec‖ (SAELens pre_act_loss_coefficient; Anthropic 3e-6; default off).") public var preActLossCoefficient: Float?
    @Flag(name: .customLong("jumprelu-ste-to-input"), help: "JumpReLU: the straight-through estimator also reaches the pre-activations and the encoder (SAELens jumprelu_ste_to_input; Anthropic's setup).") public var jumpreluSTEToInput = false

    /// Refuses bad values by flag name (``training()``).
    public func validate() throws { _ = try training() }

    /// The options as a value, or an error naming the bad flag.
    public func training() throws -> SAEJumpReLUTraining {
        let sparsity = jumpreluSparsity
        if sparsity == .quadratic && targetL0 == nil { throw ValidationError("--jumprelu-sparsity quadratic needs --target-l0") }
        if sparsity != .quadratic && targetL0 != nil { throw ValidationError("--target-l0 is for --jumprelu-sparsity quadratic") }
        if !(jumpreluBandwidth > 0) { throw ValidationError("--jumprelu-bandwidth must be positive") }
        if !(jumpreluInitThreshold >= 0) { throw ValidationError("--jumprelu-init-threshold must be ≥ 0") }
        if !(jumpreluTanhScale > 0) { throw ValidationError("--jumprelu-tanh-scale must be positive") }
        if let c = preActLossCoefficient, !(c >= 0) { throw ValidationError("--pre-act-loss-coefficient must be ≥ 0") }
        if l0Warmup < 0 { throw ValidationError("--l0-warmup must be ≥ 0") }
        var t = SAEJumpReLUTraining()
        t.bandwidth = jumpreluBandwidth; t.initThreshold = jumpreluInitThreshold; t.l0Coefficient = l0Coefficient
        t.l0WarmupSteps = l0Warmup; t.sparsity = sparsity; t.targetL0 = targetL0 ?? 0; t.tanhScale = jumpreluTanhScale
        t.preActLossCoefficient = preActLossCoefficient; t.steToInput = jumpreluSTEToInput
        return t
    }

    /// Refuses the JumpReLU-only flags on another architecture, by name.
    public func check(architecture: SAEArchitecture) throws {
        guard architecture != .jumprelu else { return }
        if preActLossCoefficient != nil { throw ValidationError("--pre-act-loss-coefficient is a jumprelu option (--architecture \(architecture.rawValue))") }
        if jumpreluSTEToInput { throw ValidationError("--jumprelu-ste-to-input is a jumprelu option (--architecture \(architecture.rawValue))") }
        if jumpreluSparsity != .step { throw ValidationError("--jumprelu-sparsity is a jumprelu option (--architecture \(architecture.rawValue))") }
    }

    /// The settings that change a run's result, for its fingerprint.
    public var fingerprint: String {
        "jumprelu \(jumpreluBandwidth) \(jumpreluInitThreshold) \(l0Coefficient) \(l0Warmup) \(jumpreluSparsity.rawValue) \(targetL0 ?? 0) "
            + "\(jumpreluTanhScale) \(preActLossCoefficient.map { "\($0)" } ?? "off") \(jumpreluSTEToInput)"
    }
}
