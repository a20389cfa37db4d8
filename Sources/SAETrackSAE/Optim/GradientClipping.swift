import SAETrackCore

/// Clipping of the total gradient norm, as `torch.nn.utils.clip_grad_norm_` (which SAELens's trainer
/// applies with max norm 1 before every Adam step): with N = ‖(∇W_enc, ∇b_enc, ∇W_dec, ∇b_dec, ∇θ)‖₂
/// over every parameter, each gradient is multiplied by Core's
/// `GradientClipping.coefficient(norm:maxNorm:)`, min(1, maxNorm / (N + 1e-6)).
///
/// The trainer does not scale the gradients in a pass of their own: it hands the factor to
/// ``Adam/update(_:gradients:lr:normaliseDecoderRows:gradientScale:)``, which multiplies each
/// gradient as it reads it (the same float product, so the same bits as clipping first).
extension GradientClipping {
    /// Elements per partial sum of the norm: fixed, so the norm does not depend on the thread count.
    package static let block = 1 << 16

    /// The total norm N over every gradient (and θ's, if given) and the factor min(1, maxNorm / (N + 1e-6)).
    /// Squares are summed per block of ``block`` elements in Float, the blocks in order in Double, in parallel.
    static func factor(_ g: SAEParameters, threshold: [Float]?, maxNorm: Float) -> (norm: Float, factor: Float) {
        let total = squaredNorm([g.wEncT.storage, g.bEnc, g.wDec.storage, g.bDec, threshold ?? []])
        let norm = Float(total.squareRoot())
        return (norm, coefficient(norm: norm, maxNorm: maxNorm))
    }

    /// Σ of the squares of every element of `buffers`, in Double: per block of ``block`` elements in
    /// Float, the blocks and buffers added in order, in parallel (independent of the thread count).
    /// A latent-sharded trainer adds its shards' sums to get the squared norm of the whole gradient.
    package static func squaredNorm(_ buffers: [[Float]]) -> Double {
        var total = 0.0
        for buffer in buffers where !buffer.isEmpty {
            let n = buffer.count, blocks = (n + block - 1) / block
            var partial = [Double](repeating: 0, count: blocks)
            buffer.withUnsafeBufferPointer { b in
                partial.withUnsafeMutableBufferPointer { pb in
                    let (p, out) = (b.baseAddress!, pb.baseAddress!)
                    Parallel.forEachChunk(blocks, minChunk: 4) { range in
                        for t in range {
                            let start = t * block
                            out[t] = Double(SIMDMath.dot(p + start, p + start, min(block, n - start)))
                        }
                    }
                }
            }
            for s in partial { total += s }
        }
        return total
    }


    /// Clips in place (the gradients multiplied by ``factor(_:threshold:maxNorm:)``'s factor where it is
    /// below 1); returns the total norm before clipping.
    @discardableResult
    static func clip(_ g: inout SAEParameters, threshold: inout [Float]?, maxNorm: Float) -> Float {
        let (norm, c) = factor(g, threshold: threshold, maxNorm: maxNorm)
        guard c < 1 else { return norm }
        g.wEncT.withUnsafeMutableBufferPointer { for t in $0.indices { $0[t] *= c } }
        g.wDec.withUnsafeMutableBufferPointer { for t in $0.indices { $0[t] *= c } }
        for t in g.bEnc.indices { g.bEnc[t] *= c }
        for t in g.bDec.indices { g.bDec[t] *= c }
        if threshold != nil { for t in threshold!.indices { threshold![t] *= c } }
        return norm
    }
}
