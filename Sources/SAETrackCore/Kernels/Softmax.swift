import Foundation

/// Row softmax, optionally causally masked, with its backward pass beside it.
///
/// For each row `r` of an (N, C) row-major buffer:
///
///     y[r, j] = exp(s·x[r, j] − m) / Σ_j' exp(s·x[r, j'] − m),   m = max_j s·x[r, j]
///
/// where `s` is `scale` (1 by default; attention passes 1/√d_head). With a causal mask the rows
/// are read as consecutive (T, T) blocks (so N = B·H·T and C = T): row `r` sits at query position
/// `t = r mod T` and only keys `j ≤ t` take part; every masked entry `j > t` is written as exactly 0.
public enum Softmax {
    /// Forward: `y ← softmax(scale · x)` row by row.
    /// - Parameters:
    ///   - x: (rows, cols) input logits.
    ///   - y: (rows, cols) output probabilities, written. May be the same buffer as `x`.
    ///   - causal: when true, `cols` is T and rows are consecutive (T, T) blocks (`rows % cols == 0`);
    ///     entries above the diagonal of each block are exactly 0.
    public static func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
        rows: Int, cols: Int, scale: Float = 1, causal: Bool = false
    ) {
        precondition(!causal || (cols > 0 && rows % cols == 0),
                     "Softmax.forward: causal mask needs rows (\(rows)) to be a multiple of T = cols (\(cols))")
        Parallel.forEachChunk(rows, minChunk: max(1, 8192 / max(cols, 1))) { range in
            for r in range {
                let xr = x + r * cols, yr = y + r * cols
                let valid = causal ? (r % cols) + 1 : cols          // keys 0..<valid take part
                // max_j s·x[j] = s·max_j x[j] for s > 0 (and s·min for s < 0).
                let m = scale > 0 ? scale * SIMDMath.max(xr, valid)
                                  : (0..<valid).reduce(-Float.infinity) { max($0, scale * xr[$1]) }
                // y = exp(s·x − m) over the valid keys, then normalised (8-lane AVX2 where available)
                let sum = SIMDMath.expSum(xr, scale: scale, minus: m, into: yr, count: valid)
                SIMDMath.scale(yr, by: 1 / sum, count: valid)
                for j in valid..<cols { yr[j] = 0 }
            }
        }
    }

    /// Backward: `dx ← scale · y ⊙ (dy − Σ_j dy[r, j]·y[r, j])`, the vector–Jacobian product of
    /// ``forward(_:_:rows:cols:scale:causal:)`` given its output `y`.
    ///
    /// Masked entries have y = 0 and so get dx = 0 with no mask argument needed.
    /// - Parameters:
    ///   - y: (rows, cols) the forward output.
    ///   - dy: (rows, cols) gradient of the loss with respect to `y`.
    ///   - dx: (rows, cols) gradient with respect to the logits `x`, written (overwritten).
    ///     May be the same buffer as `dy`.
    public static func backward(
        y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
        rows: Int, cols: Int, scale: Float = 1
    ) {
        Parallel.forEachChunk(rows, minChunk: max(1, 8192 / max(cols, 1))) { range in
            for r in range {
                let yr = y + r * cols, dyr = dy + r * cols, dxr = dx + r * cols
                let dot = SIMDMath.dot(dyr, yr, cols)
                for j in 0..<cols { dxr[j] = scale * yr[j] * (dyr[j] - dot) }
            }
        }
    }

    /// Returns `softmax(scale · x)` row by row; see ``forward(_:_:rows:cols:scale:causal:)``.
    public static func forward(_ x: Matrix, scale: Float = 1, causal: Bool = false) -> Matrix {
        var y = Matrix(rows: x.rows, cols: x.cols)
        if x.count == 0 { return y }
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                forward(px.baseAddress!, py.baseAddress!, rows: x.rows, cols: x.cols, scale: scale, causal: causal)
            }
        }
        return y
    }

    /// Returns dx given the forward output `y` and upstream `dy` (both (N, C)).
    public static func backward(y: Matrix, dy: Matrix, scale: Float = 1) -> Matrix {
        precondition(y.rows == dy.rows && y.cols == dy.cols,
                     "Softmax.backward: y is (\(y.rows), \(y.cols)) but dy is (\(dy.rows), \(dy.cols))")
        var dx = Matrix(rows: y.rows, cols: y.cols)
        if y.count == 0 { return dx }
        y.withUnsafeBufferPointer { py in
            dy.withUnsafeBufferPointer { pdy in
                dx.withUnsafeMutableBufferPointer { pdx in
                    backward(y: py.baseAddress!, dy: pdy.baseAddress!, dx: pdx.baseAddress!,
                             rows: y.rows, cols: y.cols, scale: scale)
                }
            }
        }
        return dx
    }
}
