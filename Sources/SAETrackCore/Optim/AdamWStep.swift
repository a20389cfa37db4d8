import CSupport
import Foundation

/// One step of Adam with decoupled weight decay, exactly as `torch.optim.AdamW` (and, with no
/// decay, `torch.optim.Adam`) computes it on its default single-tensor path, for step `t`:
/// ```
/// ĝ = g · scale                                  (gradient-norm clipping's factor, 1 for none)
/// θ ← θ · (1 − lr·λ)                             (only spans that decay)
/// m ← β₁·m + (1 − β₁)·ĝ,   v ← β₂·v + (1 − β₂)·ĝ²
/// θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
/// The bias corrections are computed in double precision, as torch does with its Python-float
/// step; every per-element product, quotient and sum is rounded separately (CSupport's
/// `saetrack_adamw_update`, 8 lanes where the CPU has AVX), so a span's result does not depend on
/// how it is split into chunks or threads.
///
/// The language model's `AdamW` (one flat buffer, decay by tensor role) and the SAE's `Adam`
/// (four tensors, decoder rows renormalised as they are updated) are both this step over spans.
public struct AdamWStep: Sendable {
    /// β₁ and its complement.
    public let beta1: Float, oneMinusBeta1: Float
    /// β₂ and its complement.
    public let beta2: Float, oneMinusBeta2: Float
    /// ε, added to the bias-corrected √v.
    public let epsilon: Float
    /// lr / (1 − β₁ᵗ).
    public let stepSize: Float
    /// √(1 − β₂ᵗ).
    public let biasCorrection2Sqrt: Float
    /// 1 − lr·λ, the factor a decaying span is multiplied by first.
    public let decayFactor: Float

    /// The constants of step `t` (≥ 1) at learning rate `lr`.
    public init(step t: Int, learningRate lr: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float = 0) {
        precondition(t >= 1, "AdamWStep: steps count from 1")
        let bc1 = 1 - Foundation.pow(Double(beta1), Double(t))
        let bc2 = 1 - Foundation.pow(Double(beta2), Double(t))
        self.beta1 = beta1; oneMinusBeta1 = 1 - beta1
        self.beta2 = beta2; oneMinusBeta2 = 1 - beta2
        self.epsilon = epsilon
        stepSize = Float(Double(lr) / bc1)
        biasCorrection2Sqrt = Float(bc2.squareRoot())
        decayFactor = 1 - lr * weightDecay
    }

    /// Updates `n` contiguous parameters `p` and their moments `m`, `v` from gradients `g` (only read).
    @inline(__always)
    public func apply(_ p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
                      m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count n: Int,
                      gradientScale: Float = 1, decays: Bool = false) {
        saetrack_adamw_update(p, g, m, v, n, gradientScale, decays ? decayFactor : 1, beta1, oneMinusBeta1,
                              beta2, oneMinusBeta2, stepSize, biasCorrection2Sqrt, epsilon)
    }

    /// The same over `n` parameters, split into chunks of at least `minChunk` on ``Parallel``'s threads.
    public func applyInParallel(_ p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
                                m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count n: Int,
                                gradientScale: Float = 1, decays: Bool = false, minChunk: Int = 1 << 15) {
        Parallel.forEachChunk(n, minChunk: minChunk) { r in
            let o = r.lowerBound
            apply(p + o, gradients: g + o, m: m + o, v: v + o, count: r.count, gradientScale: gradientScale, decays: decays)
        }
    }

    /// The same over a (rows, cols) matrix row by row, in parallel, calling `afterRow` on each
    /// updated row while it is in cache (e.g. to renormalise it).
    public func applyByRows(_ p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
                            m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                            gradientScale: Float = 1, decays: Bool = false, minRows: Int = 64,
                            afterRow: (_ row: UnsafeMutablePointer<Float>, _ count: Int) -> Void) {
        Parallel.forEachChunk(rows, minChunk: minRows) { range in
            for i in range {
                let o = i * cols
                apply(p + o, gradients: g + o, m: m + o, v: v + o, count: cols, gradientScale: gradientScale, decays: decays)
                afterRow(p + o, cols)
            }
        }
    }
}
