import Foundation
import SAETrackCore

/// JumpReLU's sparsity loss (SAELens 6.54.12 `JumpReLUTrainingSAE.calculate_aux_loss`, `l0_loss`),
/// with L0_b = Σ_i 1[pre[b,i] > θ_i], c the L0 coefficient and n_i = ‖W_dec[i]‖:
/// ```
/// step       c · mean_b L0_b                                   ∂/∂L0_b = c/B
/// quadratic  c · mean_b 2/t·(L0_b − t)²                        ∂/∂L0_b = c/B · 4/t·(L0_b − t)
/// tanh       c · mean_b Σ_i tanh(s · f[b,i] · n_i)             ∂/∂f[b,i] = c/B · s·n_i·(1 − tanh²)
///                                                              ∂/∂W_dec[i] = c/B · Σ_b s·f·(1 − tanh²) · W_dec[i]/n_i
/// ```
/// L0_b reaches θ (and, with `ste_to_input`, pre) only through the step function's straight-through
/// estimator, so step and quadratic hand back a per-row coefficient c_b (= B·∂loss/∂L0_b). tanh is a
/// function of the codes f: its ∂/∂f is returned per code entry (it joins the reconstruction's at the
/// active entries) and per straight-through window entry, where f may be 0 and ∂/∂f = c/B · s·n_i.
package enum JumpReLUSparsityLoss {
    /// The loss and what its gradients need.
    package struct Output {
        /// The un-weighted sparsity, `mean_b` of the per-row term (the loss is c times it).
        package var sparsity: Float
        /// step / quadratic: c_b per row (B); empty for tanh.
        package var rowL0Coefficient: [Float] = []
        /// tanh: ∂loss/∂f at every code entry (CSR order of the codes); empty otherwise.
        package var codeGradient: [Float] = []
        /// tanh: ∂loss/∂f at every window entry (CSR order of the window); empty otherwise.
        package var windowGradient: [Float] = []
        /// tanh: per feature c/B · Σ_b s·f·(1 − tanh²), the factor of W_dec[i]/n_i in ∂loss/∂W_dec[i].
        package var decoderNormGradient: [Float] = []
    }

    /// - Parameters:
    ///   - codes: (B, d_sae) f
    ///   - window: (B, d_sae) the straight-through window's pre-activations (tanh with gradients only)
    ///   - threshold: θ (d_sae)
    ///   - decoderNorms: n (d_sae), needed by tanh
    package static func forward(mode: SAEJumpReLUSparsity, coefficient c: Float, targetL0 t: Float, tanhScale s: Float,
                        codes: SparseRows, window: SparseRows?, threshold: [Float],
                        decoderNorms n: [Float]) -> Output {
        let b = codes.rows
        switch mode {
        case .step:
            return Output(sparsity: Float(Double(codes.nnz) / Double(b)),
                          rowL0Coefficient: [Float](repeating: c, count: b))
        case .quadratic:
            return quadratic(rowL0: (0..<b).map { Float(codes.rowStart[$0 + 1] - codes.rowStart[$0]) }, coefficient: c, targetL0: t)
        case .tanh:
            let scale = c / Float(b)
            var rowSums = [Double](repeating: 0, count: b)
            var codeGradient = [Float](repeating: 0, count: codes.nnz)
            var normGradient = [Double](repeating: 0, count: codes.cols)
            for r in 0..<b {
                for e in codes.rowStart[r]..<codes.rowStart[r + 1] {
                    let i = Int(codes.index[e]), f = codes.value[e]
                    let th = Foundation.tanh(s * f * n[i])
                    rowSums[r] += Double(th)
                    let sech2 = 1 - th * th
                    codeGradient[e] = scale * s * n[i] * sech2
                    normGradient[i] += Double(scale * s * f * sech2)
                }
            }
            // Window entries: f = pre where pre > θ (the codes' gate), else 0.
            var windowGradient: [Float] = []
            if let w = window {
                windowGradient = (0..<w.nnz).map { e in
                    let i = Int(w.index[e]), pre = w.value[e]
                    let f: Float = pre > max(threshold[i], 0) ? pre : 0
                    let th = Foundation.tanh(s * f * n[i])
                    return scale * s * n[i] * (1 - th * th)
                }
            }
            return Output(sparsity: Float(rowSums.reduce(0, +) / Double(b)), codeGradient: codeGradient,
                          windowGradient: windowGradient, decoderNormGradient: normGradient.map { Float($0) })
        }
    }

    /// The quadratic form from each row's L0 (B): the sparsity mean_b 2/t·(L0_b − t)² and c_b = c·4/t·(L0_b − t).
    /// A latent-sharded trainer passes the L0s summed over its shards.
    package static func quadratic(rowL0: [Float], coefficient c: Float, targetL0 t: Float) -> Output {
        var sum: Double = 0
        let rowC = rowL0.map { l0 -> Float in
            sum += Double(2 / t * (l0 - t) * (l0 - t))
            return c * 4 / t * (l0 - t)
        }
        return Output(sparsity: Float(sum / Double(rowL0.count)), rowL0Coefficient: rowC)
    }
}
