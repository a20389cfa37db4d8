import SAETrackCore

/// Adam (β₁, β₂, ε; no weight decay, no clipping), exactly as `torch.optim.Adam` steps:
/// ```
/// m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²
/// p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)
/// ```
/// The update is dense over every parameter, so parameters whose gradient is zero in a step (the
/// inactive features) still move with their momentum, as in PyTorch. Each step is Core's
/// `AdamWStep` with no weight decay over the four tensors.
public struct Adam: Sendable, Equatable {
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Steps taken (t in the bias corrections).
    public var step: Int = 0
    /// First moments, same layout as the parameters.
    public var m: SAEParameters
    /// Second moments.
    public var v: SAEParameters

    /// A fresh optimizer (zero moments) for parameters of this shape.
    public init(dIn: Int, dSAE: Int, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        m = SAEParameters(zerosWithDIn: dIn, dSAE: dSAE)
        v = SAEParameters(zerosWithDIn: dIn, dSAE: dSAE)
    }

    /// Adam on one more parameter vector (JumpReLU's θ) with its own moments, at the step count of
    /// the last ``update(_:gradients:lr:normaliseDecoderRows:gradientScale:)`` (call it right after): the same
    /// per-element arithmetic as torch's `_single_tensor_adam`.
    public func update(vector p: inout [Float], gradient g: [Float], m: inout [Float], v: inout [Float], lr: Float) {
        precondition(p.count == g.count && m.count == g.count && v.count == g.count, "Adam: vector shapes differ")
        guard !p.isEmpty else { return }
        let adam = AdamWStep(step: step, learningRate: lr, beta1: beta1, beta2: beta2, epsilon: epsilon)
        p.withUnsafeMutableBufferPointer { pb in g.withUnsafeBufferPointer { gb in
            m.withUnsafeMutableBufferPointer { mb in v.withUnsafeMutableBufferPointer { vb in
                adam.apply(pb.baseAddress!, gradients: gb.baseAddress!, m: mb.baseAddress!, v: vb.baseAddress!, count: pb.count)
            } }
        } }
    }

    /// One update of `p` with gradients `g` at learning rate `lr`.
    /// - Parameters:
    ///   - normaliseDecoderRows: also rescale each updated W_dec row to unit norm.
    ///   - gradientScale: each gradient is multiplied by it as it is read (gradient-norm clipping's
    ///     factor): the same float product as scaling `g` first, so the same bits, one pass fewer.
    public mutating func update(_ p: inout SAEParameters, gradients g: SAEParameters, lr: Float,
                                normaliseDecoderRows: Bool = false, gradientScale: Float = 1) {
        step += 1
        let adam = AdamWStep(step: step, learningRate: lr, beta1: beta1, beta2: beta2, epsilon: epsilon)
        func run(_ param: UnsafeMutableBufferPointer<Float>, _ grad: UnsafeBufferPointer<Float>,
                 _ mm: UnsafeMutableBufferPointer<Float>, _ vv: UnsafeMutableBufferPointer<Float>) {
            adam.applyInParallel(param.baseAddress!, gradients: grad.baseAddress!, m: mm.baseAddress!, v: vv.baseAddress!,
                                 count: param.count, gradientScale: gradientScale, minChunk: 1 << 16)
        }
        p.wEncT.withUnsafeMutableBufferPointer { a in g.wEncT.withUnsafeBufferPointer { b in
            m.wEncT.withUnsafeMutableBufferPointer { c in v.wEncT.withUnsafeMutableBufferPointer { d in run(a, b, c, d) } } } }
        if normaliseDecoderRows {
            // Row by row, each decoder row renormalised while it is in cache: the next step's
            // `set_decoder_norm_to_unit_norm` (Docs/Method.md §4.1 step 1) done one pass earlier.
            let (rows, cols) = (p.wDec.rows, p.wDec.cols)
            p.wDec.withUnsafeMutableBufferPointer { a in g.wDec.withUnsafeBufferPointer { b in
            m.wDec.withUnsafeMutableBufferPointer { c in v.wDec.withUnsafeMutableBufferPointer { d in
                adam.applyByRows(a.baseAddress!, gradients: b.baseAddress!, m: c.baseAddress!, v: d.baseAddress!,
                                 rows: rows, cols: cols, gradientScale: gradientScale) { row, n in SAEParameters.normaliseRow(row, n) }
            } } } }
        } else {
            p.wDec.withUnsafeMutableBufferPointer { a in g.wDec.withUnsafeBufferPointer { b in
                m.wDec.withUnsafeMutableBufferPointer { c in v.wDec.withUnsafeMutableBufferPointer { d in run(a, b, c, d) } } } }
        }
        p.bEnc.withUnsafeMutableBufferPointer { a in g.bEnc.withUnsafeBufferPointer { b in
            m.bEnc.withUnsafeMutableBufferPointer { c in v.bEnc.withUnsafeMutableBufferPointer { d in run(a, b, c, d) } } } }
        p.bDec.withUnsafeMutableBufferPointer { a in g.bDec.withUnsafeBufferPointer { b in
            m.bDec.withUnsafeMutableBufferPointer { c in v.bDec.withUnsafeMutableBufferPointer { d in run(a, b, c, d) } } } }
    }
}
