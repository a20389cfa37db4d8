/// The rectified linear unit, elementwise.
///
///     y = max(x, 0)        dx = dy · 1[x > 0]
///
/// The derivative at exactly 0 is taken as 0 (as PyTorch does).
public enum ReLU {
    /// Forward over `count` elements. `y` may be the same buffer as `x`.
    public static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forEachChunk(count, minChunk: 65536) { range in
            for i in range { y[i] = max(x[i], 0) }
        }
    }

    /// Backward over `count` elements: `dx[i] = x[i] > 0 ? dy[i] : 0`. Either the forward input or
    /// its output may be passed as `x` (they are positive at the same places). `dx` is written
    /// (overwritten) and may be the same buffer as `dy`.
    public static func backward(
        x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, count: Int
    ) {
        Parallel.forEachChunk(count, minChunk: 65536) { range in
            for i in range { dx[i] = x[i] > 0 ? dy[i] : 0 }
        }
    }

    /// Returns `max(x, 0)` elementwise.
    public static func forward(_ x: Matrix) -> Matrix {
        var y = Matrix(rows: x.rows, cols: x.cols)
        if x.count == 0 { return y }
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in forward(px.baseAddress!, py.baseAddress!, count: x.count) }
        }
        return y
    }

    /// Returns `dy ⊙ 1[x > 0]`.
    public static func backward(x: Matrix, dy: Matrix) -> Matrix {
        precondition(x.rows == dy.rows && x.cols == dy.cols,
                     "ReLU.backward: x is (\(x.rows), \(x.cols)) but dy is (\(dy.rows), \(dy.cols))")
        var dx = Matrix(rows: x.rows, cols: x.cols)
        if x.count == 0 { return dx }
        x.withUnsafeBufferPointer { px in
            dy.withUnsafeBufferPointer { pdy in
                dx.withUnsafeMutableBufferPointer { pdx in
                    backward(x: px.baseAddress!, dy: pdy.baseAddress!, dx: pdx.baseAddress!, count: x.count)
                }
            }
        }
        return dx
    }
}
