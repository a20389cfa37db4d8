import SAETrackCore

/// Buffers reused from one training step to the next: the encoder's dense pre-activation scratch
/// (chunkRows, d_sae) and the four gradient tensors. Large allocations are fresh mmaps in glibc, so
/// reallocating them every step would pay a page fault per 4 KiB of every buffer, every step.
public final class SAEStepWorkspace {
    /// (chunkRows, d_sae) scratch, grown on demand.
    var pre: [Float] = []
    /// Gradient tensors handed to `SAEObjective.evaluate` and returned after the optimizer step.
    var gradients: SAEParameters?

    public init() {}

    /// The gradient buffers (uniquely referenced: no copy), or fresh zeros of this shape.
    func takeGradients(dIn: Int, dSAE: Int) -> SAEParameters {
        if let g = gradients, g.dIn == dIn, g.dSAE == dSAE {
            gradients = nil
            return g
        }
        gradients = nil
        return SAEParameters(zerosWithDIn: dIn, dSAE: dSAE)
    }

    /// A scratch array of at least `count` floats (uniquely referenced), to be handed back with `returnPre`.
    func takePre(count: Int) -> [Float] {
        var p = pre
        pre = []
        if p.count < count { p = [Float](repeating: 0, count: count) }
        return p
    }

    func returnPre(_ p: [Float]) { pre = p }
}
