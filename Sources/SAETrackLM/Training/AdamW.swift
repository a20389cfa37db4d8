import SAETrackCore

/// AdamW with decoupled weight decay over a flat parameter buffer, step for step what
/// `torch.optim.AdamW` computes (its default, non-fused single-tensor path):
///
///     θ ← θ · (1 − lr·λ)                       (only tensors whose layout role decays)
///     m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
///     θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// Biases and LayerNorm parameters are never decayed (``ParameterLayout/Tensor/decays``).
public struct AdamW: Sendable {
    /// Hyperparameters.
    public var beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    /// Steps taken so far (t in the bias corrections is `stepCount` after increment).
    public private(set) var stepCount = 0
    /// First moment m, laid out like the parameters.
    public private(set) var m: [Float]
    /// Second moment v, laid out like the parameters.
    public private(set) var v: [Float]
    private let decayRanges: [(range: Range<Int>, decays: Bool)]

    /// Zero moments for the parameters of `layout`.
    public init(layout: ParameterLayout, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0.01) {
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
        m = [Float](repeating: 0, count: layout.count)
        v = [Float](repeating: 0, count: layout.count)
        decayRanges = layout.tensors.map { ($0.range, $0.decays) }
    }

    /// Restores moments and the step count (resuming a run).
    public init(layout: ParameterLayout, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float,
                stepCount: Int, m: [Float], v: [Float]) {
        self.init(layout: layout, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
        precondition(m.count == layout.count && v.count == layout.count, "AdamW: moments do not match the layout")
        self.stepCount = stepCount
        self.m = m
        self.v = v
    }

    /// One update of `parameters` (N) from `gradients` (N) at learning rate `lr`.
    ///
    /// With `gradientScale` (the clip coefficient of ``clipAndStep(parameters:gradients:learningRate:maxNorm:)``)
    /// every gradient is multiplied by it first, in the same pass: bit for bit what scaling the
    /// gradients in place and then stepping gives, one read-and-write of the gradients fewer.
    /// `gradients` are only read. One pass over parameters, gradients and moments: Core's
    /// `AdamWStep` over each tensor's span.
    public mutating func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                              learningRate lr: Float, gradientScale: Float = 1) {
        precondition(parameters.count == m.count && gradients.count == m.count, "AdamW.step: buffer sizes differ")
        stepCount += 1
        let adam = AdamWStep(step: stepCount, learningRate: lr, beta1: beta1, beta2: beta2, epsilon: epsilon,
                             weightDecay: weightDecay)
        let p = parameters.baseAddress!, g = gradients.baseAddress!
        m.withUnsafeMutableBufferPointer { mb in
            v.withUnsafeMutableBufferPointer { vb in
                let (mp, vp) = (mb.baseAddress!, vb.baseAddress!)
                for (range, decays) in decayRanges {
                    let i = range.lowerBound
                    adam.applyInParallel(p + i, gradients: g + i, m: mp + i, v: vp + i, count: range.count,
                                         gradientScale: gradientScale, decays: decays)
                }
            }
        }
    }

    /// Global-norm clipping and the update in one: the norm of `gradients` (one read), then
    /// ``step(parameters:gradients:learningRate:gradientScale:)`` with
    /// `GradientClipping.coefficient(norm:maxNorm:)` folded in (`maxNorm` ≤ 0: no clipping).
    /// Same parameters and moments as `GradientClipping.clip` followed by `step`; the gradients
    /// are left unscaled.
    /// - Returns: the gradient norm before clipping.
    @discardableResult
    public mutating func clipAndStep(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeBufferPointer<Float>,
                                     learningRate lr: Float, maxNorm: Float) -> Float {
        let norm = BLAS.nrm2(n: gradients.count, x: gradients.baseAddress!)
        step(parameters: parameters, gradients: gradients, learningRate: lr,
             gradientScale: GradientClipping.coefficient(norm: norm, maxNorm: maxNorm))
        return norm
    }
}
