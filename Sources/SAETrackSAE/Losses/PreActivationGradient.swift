import SAETrackCore

/// Encoder gradients from extra pre-activation gradients D = ∂L/∂pre beyond the reconstruction's
/// (JumpReLU's tanh loss, its straight-through estimator with `ste_to_input`, the pre-activation loss):
/// ```
/// dW_encᵀ[i] += Σ_b D[b,i] · sae_in[b];   db_enc[i] += Σ_b D[b,i]
/// ```
/// (b_dec's share, −W_enc·db_enc, follows from db_enc in ``SAEObjective``.)
enum PreActivationGradient {
    /// D given sparsely (CSR), e.g. on the codes' or the straight-through window's entries; each
    /// feature's rows are added in increasing batch order.
    static func addSparse(_ dPre: SparseRows, saeIn: Matrix, gradients g: inout SAEParameters) {
        let d = saeIn.cols
        let columns = dPre.columns()
        saeIn.withUnsafeBufferPointer { x in
            g.wEncT.withUnsafeMutableBufferPointer { ge in
                for i in 0..<dPre.cols {
                    var bias: Float = 0
                    for e in columns.colStart[i]..<columns.colStart[i + 1] {
                        let (r, v) = (Int(columns.row[e]), dPre.value[Int(columns.entry[e])])
                        guard v != 0 else { continue }
                        SIMDMath.axpy(v, x.baseAddress! + r * d, ge.baseAddress! + i * d, d)
                        bias += v
                    }
                    g.bEnc[i] += bias
                }
            }
        }
    }

    /// D given densely on some features' columns: `dPre` (B, n) for `features` (n).
    static func addDense(features: [Int32], dPre: Matrix, saeIn: Matrix, gradients g: inout SAEParameters) {
        let (b, n, d) = (dPre.rows, features.count, saeIn.cols)
        var gradRows = Matrix(rows: n, cols: d)                                 // (n, d) = Dᵀ·sae_in
        BLAS.gemm(dPre, transposeA: true, saeIn, into: &gradRows)
        dPre.withUnsafeBufferPointer { dp in
            gradRows.withUnsafeBufferPointer { a in
                g.wEncT.withUnsafeMutableBufferPointer { ge in
                    for (t, f) in features.enumerated() {
                        let i = Int(f)
                        SIMDMath.axpy(1, a.baseAddress! + t * d, ge.baseAddress! + i * d, d)
                        var s: Float = 0
                        for r in 0..<b { s += dp[r * n + t] }
                        g.bEnc[i] += s
                    }
                }
            }
        }
    }
}
