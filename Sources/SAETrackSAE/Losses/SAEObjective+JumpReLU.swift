import SAETrackCore

extension SAEObjective {
    /// JumpReLU's gradients beyond the reconstruction's (which `SparseBackward` adds at the active
    /// entries): the tanh loss's through the codes and the decoder norms, the straight-through
    /// estimators' (θ, and with `steToInput` the window's pre-activations) and the pre-activation loss's.
    /// - Parameters:
    ///   - window: the straight-through window (nil when no gradients are taken)
    ///   - deadFeatures: the dead latents of the pre-activation loss (empty: off), with `deadPre` their pre
    /// - Returns: ∂L/∂θ (nil without a window) and the pre-activation loss
    package func jumpReLUBackward(sparsity: JumpReLUSparsityLoss.Output, codes: SparseRows, window: SparseRows?,
                          threshold: [Float], upstream: Matrix, saeIn: Matrix, wDec: Matrix, decoderNorms: [Float],
                          deadFeatures: [Int32], deadPre: Matrix?,
                          gradients g: inout SAEParameters) -> (threshold: [Float]?, preAct: Float) {
        let d = wDec.cols
        if !sparsity.codeGradient.isEmpty {
            // tanh through the codes (x_grad = 1[pre > θ]·∂L/∂f) and through ‖W_dec[i]‖.
            var dPre = codes
            dPre.value = sparsity.codeGradient
            PreActivationGradient.addSparse(dPre, saeIn: saeIn, gradients: &g)
            wDec.withUnsafeBufferPointer { w in
                g.wDec.withUnsafeMutableBufferPointer { gd in
                    for (i, v) in sparsity.decoderNormGradient.enumerated() where v != 0 {
                        SIMDMath.axpy(v / decoderNorms[i], w.baseAddress! + i * d, gd.baseAddress! + i * d, d)
                    }
                }
            }
        }
        var thetaGradient: [Float]? = nil
        if let window {
            let out = JumpReLUThresholdGradient.compute(window: window, threshold: threshold, upstream: upstream, wDec: wDec,
                                                        bandwidth: bandwidth, rowL0Coefficient: sparsity.rowL0Coefficient,
                                                        windowCodeGradient: sparsity.windowGradient, toInput: steToInput)
            thetaGradient = out.threshold
            if let pre = out.preGradient { PreActivationGradient.addSparse(pre, saeIn: saeIn, gradients: &g) }
        }
        var preAct: Float = 0
        if !deadFeatures.isEmpty, let deadPre {
            preAct = PreActivationLoss.apply(coefficient: preActLossCoefficient, deadFeatures: deadFeatures, deadPre: deadPre,
                                             threshold: threshold, decoderNorms: decoderNorms, saeIn: saeIn, wDec: wDec,
                                             gradients: &g, thresholdGradient: &thetaGradient)
        }
        return (thetaGradient, preAct)
    }
}
