import SAETrackCore

/// Buffers reused from one training step to the next: the encoder's pre-activation scratches (per
/// thread blocks, or (chunkRows, d_sae) in the row-chunk path) and the four gradient tensors. Large allocations are fresh mmaps in glibc, so
/// reallocating them every step would pay a page fault per 4 KiB of every buffer, every step.
package final class SAEStepWorkspace {
    /// (chunkRows, d_sae) scratch, grown on demand.
    var pre: [Float] = []
    /// Gradient tensors handed to `SAEObjective.evaluate` and returned after the optimizer step.
    var gradients: SAEParameters?

    package init() {}

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

    /// One float scratch per encoder thread (the feature-block encoder's pre-activation blocks).
    final class EncoderScratch: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Float>
        let capacity: Int
        init(capacity: Int) {
            self.capacity = capacity
            pointer = .allocate(capacity: max(capacity, 1))
        }
        deinit { pointer.deallocate() }

        static func make(parts: Int, floats: Int) -> [EncoderScratch] {
            (0..<parts).map { _ in EncoderScratch(capacity: floats) }
        }
    }

    private var encoderBlocks: [EncoderScratch] = []

    /// `parts` scratches of at least `floats` floats each, kept for the next step.
    func encoderScratch(parts: Int, floats: Int) -> [EncoderScratch] {
        if encoderBlocks.count < parts || encoderBlocks.contains(where: { $0.capacity < floats }) {
            encoderBlocks = EncoderScratch.make(parts: max(parts, encoderBlocks.count), floats: floats)
        }
        return encoderBlocks
    }
}
