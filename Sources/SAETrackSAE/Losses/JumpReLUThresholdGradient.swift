import SAETrackCore

/// ∂loss/∂θ of a JumpReLU SAE through SAELens's straight-through estimators (6.54.12,
/// `JumpReLU.backward` and `Step.backward`, `ste_to_input` false). With the rectangle kernel
/// R(u) = 1[−1/2 < u < 1/2], bandwidth ε, upstream Y = ∂L/∂x̂ (B, d_in) and an L0 loss of
/// L0_b = Σ_i 1[pre[b,i] > θ_i] whose derivative by L0_b is c_b/B ("step": c_b = c; "quadratic":
/// c_b = c·4/t·(L0_b − t)):
/// ```
/// ∂L/∂f[b,i]   = Y[b] · W_dec[i]                        (also where f[b,i] = 0)
/// ∂L/∂θ_i      = Σ_b R((pre[b,i] − θ_i)/ε) · ( −(θ_i/ε) · ∂L/∂f[b,i]  −  (1/ε) · c_b/B )
/// ```
/// Only the entries inside the window contribute (`SparseEncoder.Output.thresholdWindow`); each
/// feature's terms are summed in increasing batch order in Double, independent of the threads.
enum JumpReLUThresholdGradient {
    /// - Parameters:
    ///   - window: (B, d_sae) the entries with −1/2 < (pre − θ)/ε < 1/2
    ///   - threshold: (d_sae) θ
    ///   - upstream: (B, d_in) Y
    ///   - wDec: (d_sae, d_in)
    ///   - rowL0Coefficient: (B) c_b
    /// - Returns: (d_sae)
    static func compute(window: SparseActivations, threshold: [Float], upstream: Matrix, wDec: Matrix,
                        bandwidth: Float, rowL0Coefficient: [Float]) -> [Float] {
        let (b, d, m) = (window.rows, wDec.cols, wDec.rows)
        var acc = [Double](repeating: 0, count: m)
        upstream.withUnsafeBufferPointer { y in
            wDec.withUnsafeBufferPointer { w in
                for r in 0..<b {
                    let stepTerm = -Double(rowL0Coefficient[r]) / Double(b) / Double(bandwidth)
                    for e in window.rowStart[r]..<window.rowStart[r + 1] {
                        let i = Int(window.index[e])
                        let g = VectorOps.dot(y.baseAddress! + r * d, w.baseAddress! + i * d, d)
                        acc[i] += -Double(threshold[i] / bandwidth) * Double(g) + stepTerm
                    }
                }
            }
        }
        return acc.map { Float($0) }
    }
}
