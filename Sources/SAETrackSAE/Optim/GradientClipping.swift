import SAETrackCore

/// Clipping of the total gradient norm, as `torch.nn.utils.clip_grad_norm_` (which SAELens's trainer
/// applies with max norm 1 before every Adam step): with N = ‖(∇W_enc, ∇b_enc, ∇W_dec, ∇b_dec, ∇θ)‖₂
/// over every parameter, each gradient is multiplied by min(1, maxNorm / (N + 1e-6)).
enum GradientClipping {
    /// Clips in place; returns the total norm before clipping.
    @discardableResult
    static func clip(_ g: inout SAEParameters, threshold: inout [Float]?, maxNorm: Float) -> Float {
        var total = 0.0
        for buffer in [g.wEncT.storage, g.bEnc, g.wDec.storage, g.bDec, threshold ?? []] {
            buffer.withUnsafeBufferPointer { b in
                if !b.isEmpty { total += Double(VectorOps.dot(b.baseAddress!, b.baseAddress!, b.count)) }
            }
        }
        let norm = Float(total.squareRoot())
        let coefficient = maxNorm / (norm + 1e-6)
        guard coefficient < 1 else { return norm }
        g.wEncT.withUnsafeMutableBufferPointer { for t in $0.indices { $0[t] *= coefficient } }
        g.wDec.withUnsafeMutableBufferPointer { for t in $0.indices { $0[t] *= coefficient } }
        for t in g.bEnc.indices { g.bEnc[t] *= coefficient }
        for t in g.bDec.indices { g.bDec[t] *= coefficient }
        if threshold != nil { for t in threshold!.indices { threshold![t] *= coefficient } }
        return norm
    }
}
