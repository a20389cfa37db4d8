import SAETrackCore

/// Global gradient-norm clipping, as `torch.nn.utils.clip_grad_norm_` does it.
public enum GradientClipping {
    /// Scales `gradients` by `maxNorm / (‖g‖₂ + 1e-6)` when that factor is below 1.
    /// - Returns: the norm before clipping.
    @discardableResult
    public static func clip(_ gradients: UnsafeMutableBufferPointer<Float>, maxNorm: Float) -> Float {
        let norm = BLAS.nrm2(n: gradients.count, x: gradients.baseAddress!)
        let coefficient = maxNorm / (norm + 1e-6)
        if maxNorm > 0, coefficient < 1 {
            BLAS.scal(n: gradients.count, alpha: coefficient, x: gradients.baseAddress!)
        }
        return norm
    }
}
