import Foundation
import SAETrackCore

/// SAE-Track's ghost grads (Docs/Method.md §4.3, `sparse_autoencoder.py` "ghost protocol").
///
/// With D the dead features, pre their pre-activations and e = x̂ − x:
/// ```
/// r   = x − x̂ = −e;   r_c = r − mean_batch(r)
/// g   = exp(pre[:, D]) · W_dec[D]                          (B, d)
/// s_b = ‖r_b‖ / (1e-6 + 2‖g_b‖)                           detached
/// G   = (s_b·g − r)² / ‖r_c,b‖                             r, ‖r_c‖ detached
/// ρ   = (e² / ‖x_c,b‖) / (G + 1e-6)                        detached
/// ghost = mean_{b,j} ρ·G
/// ```
/// The gradient reaches pre[:, D] (hence W_enc, b_enc, b_dec) and W_dec[D]. The dense work is over
/// the dead columns only (BLAS GEMMs).
package enum GhostGrads {
    /// Adds the ghost loss's gradients into `gradients` and returns the loss.
    /// - Parameters:
    ///   - deadPre: (B, n_dead) pre-activations of `deadFeatures`
    ///   - error: (B, d) e = x̂ − x
    ///   - denominators: (B) ‖x_b − mean(x)‖₂
    ///   - saeIn: (B, d)
    ///   - wDec: (d_sae, d)
    static func apply(deadFeatures: [Int32], deadPre: Matrix, error e: Matrix, denominators: [Float],
                      saeIn: Matrix, wDec: Matrix, gradients g: inout SAEParameters) -> Float {
        let (b, d) = (e.rows, e.cols)
        let (expPre, wDead) = deadOperands(deadFeatures: deadFeatures, deadPre: deadPre, wDec: wDec)
        let ghostOut = BLAS.matmul(expPre, wDead)                               // (B, d) g
        let inv = 1 / Float(b * d)
        let (total, dGhost) = outputGradient(error: e, ghostOut: ghostOut, denominators: denominators)
        backward(dGhost: dGhost, expPre: expPre, wDead: wDead, deadFeatures: deadFeatures, saeIn: saeIn, gradients: &g)
        return Float(total) * inv
    }

    /// The ghost decode's operands: E = exp(pre[:, D]), (B, n_dead), and the dead decoder rows
    /// W_dec[D], (n_dead, d), so that g = E·W_dec[D] (the sharded trainer's over its own dead latents).
    /// - Parameters:
    ///   - deadPre: (B, n_dead) pre-activations of `deadFeatures` (n_dead may be 0)
    ///   - wDec: (d_sae, d)
    package static func deadOperands(deadFeatures: [Int32], deadPre: Matrix, wDec: Matrix) -> (expPre: Matrix, wDead: Matrix) {
        let d = wDec.cols
        var expPre = deadPre
        expPre.withUnsafeMutableBufferPointer { p in for t in p.indices { p[t] = Foundation.exp(p[t]) } }
        var wDead = Matrix(rows: deadFeatures.count, cols: d)
        wDec.withUnsafeBufferPointer { w in
            wDead.withUnsafeMutableBufferPointer { o in
                for (t, i) in deadFeatures.enumerated() {
                    (o.baseAddress! + t * d).update(from: w.baseAddress! + Int(i) * d, count: d)
                }
            }
        }
        return (expPre, wDead)
    }

    /// Back-propagates ∂ghost/∂g through g = E·W_dec[D] into the dead latents' gradients (added):
    /// W_dec[D] += Eᵀ·dg; with dpre = (dg·W_dec[D]ᵀ) ⊙ E, W_enc[:, D] += dpreᵀ·sae_in and
    /// b_enc[D] += Σ_b dpre. Nothing to do when `deadFeatures` is empty.
    /// - Parameters:
    ///   - dGhost: (B, d) ∂ghost/∂g (``outputGradient(error:ghostOut:denominators:)``)
    ///   - expPre, wDead: (B, n_dead) and (n_dead, d) from ``deadOperands(deadFeatures:deadPre:wDec:)``
    ///   - saeIn: (B, d)
    package static func backward(dGhost: Matrix, expPre: Matrix, wDead: Matrix, deadFeatures: [Int32], saeIn: Matrix,
                                 gradients g: inout SAEParameters) {
        let (b, d, nD) = (dGhost.rows, dGhost.cols, deadFeatures.count)
        guard nD > 0 else { return }
        var dExp = Matrix(rows: b, cols: nD)                                    // (B, nD) = dg·W_dec[D]ᵀ
        BLAS.gemm(dGhost, wDead, transposeB: true, into: &dExp)
        var gradWDead = Matrix(rows: nD, cols: d)                               // (nD, d) = Eᵀ·dg
        BLAS.gemm(expPre, transposeA: true, dGhost, into: &gradWDead)
        dExp.withUnsafeMutableBufferPointer { de in                             // dpre = dE ⊙ E
            expPre.withUnsafeBufferPointer { ex in for t in de.indices { de[t] *= ex[t] } }
        }
        var gradWEncDead = Matrix(rows: nD, cols: d)                            // (nD, d) = dpreᵀ·sae_in
        BLAS.gemm(dExp, transposeA: true, saeIn, into: &gradWEncDead)
        dExp.withUnsafeBufferPointer { dp in
            for (t, i) in deadFeatures.enumerated() {
                var s: Float = 0
                for r in 0..<b { s += dp[r * nD + t] }
                g.bEnc[Int(i)] += s
            }
        }
        g.wDec.withUnsafeMutableBufferPointer { gd in
            g.wEncT.withUnsafeMutableBufferPointer { ge in
                gradWDead.withUnsafeBufferPointer { a in
                    gradWEncDead.withUnsafeBufferPointer { c in
                        for (t, i) in deadFeatures.enumerated() {
                            SIMDMath.axpy(1, a.baseAddress! + t * d, gd.baseAddress! + Int(i) * d, d)
                            SIMDMath.axpy(1, c.baseAddress! + t * d, ge.baseAddress! + Int(i) * d, d)
                        }
                    }
                }
            }
        }
    }

    /// The ghost loss summed over the (B, d) elements (before the 1/(B·d) mean) and its gradient
    /// with respect to g = exp(pre[:, D])·W_dec[D]; the sharded trainer calls it on the all-reduced g.
    /// - Parameters:
    ///   - error: (B, d) e = x̂ − x
    ///   - ghostOut: (B, d) g
    ///   - denominators: (B) ‖x_b − mean(x)‖₂
    package static func outputGradient(error e: Matrix, ghostOut: Matrix, denominators: [Float]) -> (total: Double, dGhost: Matrix) {
        let (b, d) = (e.rows, e.cols)
        let residualMean = SAEObjective.columnMeans(e).map { -$0 }              // mean_b r
        var dGhost = Matrix(rows: b, cols: d)                                   // (B, d) ∂ghost/∂g
        var total: Double = 0
        let inv = 1 / Float(b * d)
        e.withUnsafeBufferPointer { eb in
            ghostOut.withUnsafeBufferPointer { gb in
                dGhost.withUnsafeMutableBufferPointer { db in
                    for r in 0..<b {
                        var r2: Float = 0, rc2: Float = 0, g2: Float = 0
                        for j in 0..<d {
                            let res = -eb[r * d + j]
                            r2 += res * res
                            let rc = res - residualMean[j]
                            rc2 += rc * rc
                            g2 += gb[r * d + j] * gb[r * d + j]
                        }
                        let scale = r2.squareRoot() / (1e-6 + 2 * g2.squareRoot())
                        let rn = rc2.squareRoot()
                        for j in 0..<d {
                            let res = -eb[r * d + j]
                            let diff = scale * gb[r * d + j] - res
                            let ghostElem = diff * diff / rn
                            let mseElem = eb[r * d + j] * eb[r * d + j] / denominators[r]
                            let rho = mseElem / (ghostElem + 1e-6)
                            total += Double(rho * ghostElem)
                            db[r * d + j] = inv * rho * 2 * diff / rn * scale
                        }
                    }
                }
            }
        }
        return (total, dGhost)
    }
}
