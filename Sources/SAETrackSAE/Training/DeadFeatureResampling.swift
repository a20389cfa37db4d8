import Foundation

/// When and how a trainer resamples its dead features (Anthropic, "Towards Monosemanticity", 2023,
/// "neuron resampling"); off (nil) in the paper's presets. Docs/Method.md §5.5.
///
/// At each listed step, before that step's update, the trainer draws `samples` activations from its
/// source, encodes them, and calls every feature that fires on none of them dead. Each dead feature
/// i gets one input x_b drawn with probability ∝ ‖x_b − x̂_b‖⁴ (the squared loss, as Anthropic), and
/// with u = (x_b − b_dec) / ‖x_b − b_dec‖:
/// ```
/// W_dec[i] ← u;   W_encᵀ[i] ← encoderScale · mean_{alive j} ‖W_encᵀ[j]‖ · u;   b_enc[i] ← 0
/// ```
/// and its Adam moments (encoder row, decoder row, b_enc entry) are reset to zero. On a ReLU SAE the
/// feature then fires on x_b: its pre-activation there is encoderScale · n̄ · ‖x_b − b_dec‖ > 0.
public struct DeadFeatureResampling: Codable, Equatable, Sendable {
    /// 0-based optimizer steps at which to resample (0: before the first update, e.g. at the start of
    /// a warm-started stage whose inputs moved).
    public var steps: [Int]
    /// Activations encoded to find the dead features and the high-loss inputs.
    public var samples: Int = 8192
    /// A resampled encoder row's norm as a multiple of the mean alive encoder-row norm (Anthropic: 0.2).
    public var encoderScale: Float = 0.2

    enum CodingKeys: String, CodingKey {
        case steps, samples, encoderScale = "encoder_scale"
    }

    public init(steps: [Int], samples: Int = 8192, encoderScale: Float = 0.2) {
        self.steps = steps; self.samples = samples; self.encoderScale = encoderScale
    }

    /// The problems of this option, for ``SAETrainingConfig/validate()``.
    func problems() -> [String] {
        var out: [String] = []
        if steps.contains(where: { $0 < 0 }) { out.append("resampling steps must be ≥ 0 (got \(steps))") }
        if samples <= 0 { out.append("resampling samples must be positive (got \(samples))") }
        if !(encoderScale > 0) { out.append("resampling encoder_scale must be positive (got \(encoderScale))") }
        return out
    }
}
