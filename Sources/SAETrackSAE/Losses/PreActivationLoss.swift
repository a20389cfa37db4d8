import Foundation
import SAETrackCore

/// Anthropic's pre-activation loss for dead JumpReLU latents (SAELens 6.54.12
/// `calculate_pre_act_loss`): with D the dead latents, n_i = ‖W_dec[i]‖ and λ the coefficient,
/// ```
/// preAct      = λ · mean_b Σ_{i∈D} ReLU(θ_i − pre[b,i]) · n_i              (0 when D is empty)
/// ∂/∂pre[b,i] = −λ/B · n_i · 1[θ_i > pre[b,i]]                              i ∈ D
/// ∂/∂θ_i      =  λ/B · n_i · #{b : θ_i > pre[b,i]}                          (θ enters directly, no STE)
/// ∂/∂W_dec[i] =  λ/B · Σ_b ReLU(θ_i − pre[b,i]) · W_dec[i]/n_i
/// ```
/// It pulls a dead latent's pre-activations up toward its threshold. The pre-activation gradient
/// reaches W_enc, b_enc (and b_dec) through `PreActivationGradient.addDense`.
enum PreActivationLoss {
    /// The loss and its per-entry parts.
    struct Output {
        var loss: Float
        /// (B, n_dead) ∂loss/∂pre.
        var dPre: Matrix
        /// Per dead latent: Σ_b ReLU(θ_i − pre[b,i]) and #{b : θ_i > pre[b,i]}.
        var gap: [Double], below: [Double]
    }

    /// - Parameters:
    ///   - deadPre: (B, n_dead) the pre-activations of `deadFeatures`
    ///   - decoderNorms: n (d_sae)
    static func forward(coefficient λ: Float, deadFeatures: [Int32], deadPre: Matrix, threshold: [Float],
                        decoderNorms n: [Float]) -> Output {
        let (b, nD) = (deadPre.rows, deadFeatures.count)
        var total: Double = 0
        var dPre = Matrix(rows: b, cols: nD)
        var below = [Double](repeating: 0, count: nD)
        var gap = [Double](repeating: 0, count: nD)
        deadPre.withUnsafeBufferPointer { p in
            dPre.withUnsafeMutableBufferPointer { g in
                for r in 0..<b {
                    for (t, f) in deadFeatures.enumerated() {
                        let i = Int(f)
                        let u = threshold[i] - p[r * nD + t]
                        guard u > 0 else { continue }
                        total += Double(u * n[i])
                        gap[t] += Double(u)
                        below[t] += 1
                        g[r * nD + t] = -λ / Float(b) * n[i]
                    }
                }
            }
        }
        return Output(loss: nD == 0 ? 0 : λ * Float(total / Double(b)), dPre: dPre, gap: gap, below: below)
    }

    /// The loss, with its W_dec, W_enc and b_enc gradients added into `gradients` and its θ part
    /// into `thresholdGradient` (if given).
    static func apply(coefficient λ: Float, deadFeatures: [Int32], deadPre: Matrix, threshold: [Float],
                      decoderNorms n: [Float], saeIn: Matrix, wDec: Matrix,
                      gradients: inout SAEParameters, thresholdGradient: inout [Float]?) -> Float {
        let out = forward(coefficient: λ, deadFeatures: deadFeatures, deadPre: deadPre, threshold: threshold, decoderNorms: n)
        let (b, d) = (deadPre.rows, wDec.cols)
        wDec.withUnsafeBufferPointer { w in
            gradients.wDec.withUnsafeMutableBufferPointer { gd in
                for (t, f) in deadFeatures.enumerated() where out.gap[t] != 0 {
                    let i = Int(f)
                    SIMDMath.axpy(λ / Float(b) * Float(out.gap[t]) / n[i], w.baseAddress! + i * d, gd.baseAddress! + i * d, d)
                }
            }
        }
        PreActivationGradient.addDense(features: deadFeatures, dPre: out.dPre, saeIn: saeIn, gradients: &gradients)
        if thresholdGradient != nil {
            for (t, f) in deadFeatures.enumerated() { thresholdGradient![Int(f)] += λ / Float(b) * n[Int(f)] * Float(out.below[t]) }
        }
        return out.loss
    }
}
