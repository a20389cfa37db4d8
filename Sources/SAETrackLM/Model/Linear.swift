import SAETrackCore

/// An affine projection `y = x · W + b` over a batch of rows, in either weight layout found in
/// checkpoints (no transposes at load time: the layout picks the GEMM's transpose flag).
///
///     .outIn (nn.Linear, GPT-NeoX, every unembedding):  W stored (out, in),  y = x · Wᵀ + b
///     .inOut (Conv1D, GPT-2 projections):                W stored (in, out),  y = x · W  + b
public struct Linear: Sendable {
    /// How `weight` is stored.
    public enum Layout: Sendable { case outIn, inOut }

    /// The weight matrix, (out, in) or (in, out) per ``layout``.
    public let weight: Matrix
    /// (out) bias, or nil for a bias-free projection.
    public let bias: [Float]?
    /// Storage layout of ``weight``.
    public let layout: Layout

    /// Input width.
    public var inFeatures: Int { layout == .outIn ? weight.cols : weight.rows }
    /// Output width.
    public var outFeatures: Int { layout == .outIn ? weight.rows : weight.cols }

    /// A projection over `weight` in `layout`; `bias` must hold `outFeatures` values.
    public init(weight: Matrix, bias: [Float]?, layout: Layout) {
        self.weight = weight
        self.bias = bias
        self.layout = layout
        precondition(bias == nil || bias!.count == (layout == .outIn ? weight.rows : weight.cols),
                     "Linear: bias has \(bias?.count ?? 0) values for \(layout == .outIn ? weight.rows : weight.cols) outputs")
    }

    /// Forward: `y ← x · W(ᵀ) + b`, one multi-threaded GEMM (call it outside parallel regions).
    /// - Parameters:
    ///   - x: (rows, in) input with leading dimension `in`.
    ///   - y: (rows, out) output, written, leading dimension `out`.
    ///   - includingBias: false leaves the bias out (`y ← x · W(ᵀ)`), for a caller that adds it in
    ///     its own next pass over `y`.
    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int,
                        includingBias: Bool = true) {
        let (nIn, nOut) = (inFeatures, outFeatures)
        var beta: Float = 0
        if includingBias, let bias {
            bias.withUnsafeBufferPointer { b in
                Parallel.forEachChunk(rows, minChunk: max(1, 16384 / max(nOut, 1))) { range in
                    for r in range { (y + r * nOut).update(from: b.baseAddress!, count: nOut) }   // (rows, out) ← b
                }
            }
            beta = 1
        }
        weight.withUnsafeBufferPointer { w in
            BLAS.gemm(.none, layout == .outIn ? .transposed : .none, m: rows, n: nOut, k: nIn,
                      a: x, lda: nIn, b: w.baseAddress!, ldb: layout == .outIn ? nIn : nOut,
                      beta: beta, c: y, ldc: nOut)
        }
    }

    /// Returns `x · W(ᵀ) + b` for an (N, in) matrix: (N, out).
    public func callAsFunction(_ x: Matrix) -> Matrix {
        precondition(x.cols == inFeatures, "Linear: input has \(x.cols) columns, expected \(inFeatures)")
        var y = Matrix(uninitializedRows: x.rows, cols: outFeatures)          // every element written
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in forward(px.baseAddress!, py.baseAddress!, rows: x.rows) }
        }
        return y
    }
}
