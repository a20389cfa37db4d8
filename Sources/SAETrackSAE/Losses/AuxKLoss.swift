import SAETrackCore

/// SAELens's TopK auxiliary loss for dead latents (SAELens's `calculate_topk_aux_loss`).
///
/// ```
/// k_aux = min(d_in / 2, n_dead);  scale = min(n_dead / (d_in / 2), 1)
/// a     = per token, the k_aux largest pre-activations among dead latents (not ReLU'd)
/// r     = (x − x̂).detach()
/// auxK  = coefficient · scale · mean_b Σ_j (a·W_dec − r)²[b,j]          (no b_dec)
/// ```
enum AuxKLoss {
    /// Adds the AuxK gradients into `gradients` and returns the loss.
    /// - Parameters:
    ///   - auxCodes: (B, d_sae) the selected dead pre-activations a
    ///   - error: (B, d) e = x̂ − x
    ///   - saeIn: (B, d)
    static func apply(auxCodes: SparseRows, kAux: Int, deadCount: Int, coefficient: Float, error e: Matrix,
                      saeIn: Matrix, wDec: Matrix, gradients g: inout SAEParameters) -> Float {
        let (b, d) = (e.rows, e.cols)
        let scale = min(Float(deadCount) / Float(d / 2), 1)
        var diff = SparseDecoder.decode(auxCodes, wDec: wDec, bias: nil)       // (B, d) a·W_dec, then − r
        var total: Double = 0
        diff.withUnsafeMutableBufferPointer { df in
            e.withUnsafeBufferPointer { eb in
                for t in df.indices {
                    df[t] += eb[t]                                              // − r = + e
                    total += Double(df[t] * df[t])
                }
            }
        }
        let loss = coefficient * scale * Float(total / Double(b))
        var upstream = diff                                                     // (B, d) 2·coef·scale·(a·W_dec − r)/B
        let factor = 2 * coefficient * scale / Float(b)
        upstream.withUnsafeMutableBufferPointer { u in for t in u.indices { u[t] *= factor } }
        SparseBackward.accumulate(codes: auxCodes, columns: auxCodes.columns(), upstream: upstream, saeIn: saeIn,
                                  wDec: wDec, featureConstant: nil, gradWDec: &g.wDec, gradWEncT: &g.wEncT,
                                  gradBEnc: &g.bEnc, overwrite: false)
        _ = kAux
        return loss
    }
}
