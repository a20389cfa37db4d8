/// Global gradient-norm clipping, as `torch.nn.utils.clip_grad_norm_` does it: every gradient is
/// scaled by `maxNorm / (‖g‖₂ + 1e-6)` when that factor is below 1.
///
/// The optimizers fold ``coefficient(norm:maxNorm:)`` into their update (``AdamWStep``'s
/// `gradientScale`) instead of rescaling the gradients first: the same float product, one pass fewer.
public enum GradientClipping {
    /// Scales `gradients` in place by ``coefficient(norm:maxNorm:)`` of their norm.
    /// - Returns: the norm before clipping.
    @discardableResult
    public static func clip(_ gradients: UnsafeMutableBufferPointer<Float>, maxNorm: Float) -> Float {
        let norm = BLAS.nrm2(n: gradients.count, x: gradients.baseAddress!)
        let c = coefficient(norm: norm, maxNorm: maxNorm)
        if c != 1 { BLAS.scal(n: gradients.count, alpha: c, x: gradients.baseAddress!) }
        return norm
    }

    /// The factor clipping scales by: `maxNorm / (norm + 1e-6)` when `maxNorm` > 0 and that is below
    /// 1, else exactly 1 (`maxNorm` ≤ 0: no clipping).
    public static func coefficient(norm: Float, maxNorm: Float) -> Float {
        let c = maxNorm / (norm + 1e-6)
        return maxNorm > 0 && c < 1 ? c : 1
    }
}
