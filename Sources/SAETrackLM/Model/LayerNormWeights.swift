import SAETrackCore

/// The parameters of one LayerNorm (γ, β, ε), applied with Core's `LayerNorm` kernel.
public struct LayerNormWeights: Sendable {
    /// (C) gain γ.
    public let weight: [Float]
    /// (C) shift β.
    public let bias: [Float]
    /// ε inside the square root.
    public let epsilon: Float

    public init(weight: [Float], bias: [Float], epsilon: Float) {
        precondition(weight.count == bias.count, "LayerNormWeights: γ has \(weight.count) values, β \(bias.count)")
        self.weight = weight
        self.bias = bias
        self.epsilon = epsilon
    }

    /// Returns LayerNorm(x) for x (N, C): (N, C). Mean and rstd are not kept (inference).
    public func callAsFunction(_ x: Matrix) -> Matrix {
        precondition(x.cols == weight.count, "LayerNorm: input has \(x.cols) columns, γ has \(weight.count)")
        var y = Matrix(uninitializedRows: x.rows, cols: x.cols)               // every element written
        var stats = [Float](repeating: 0, count: 2 * x.rows)                  // mean (N) | rstd (N)
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                stats.withUnsafeMutableBufferPointer { s in
                    LayerNorm.forward(px.baseAddress!, weight: weight, bias: bias, py.baseAddress!,
                                      mean: s.baseAddress!, rstd: s.baseAddress! + x.rows,
                                      rows: x.rows, cols: x.cols, epsilon: epsilon)
                }
            }
        }
        return y
    }
}
