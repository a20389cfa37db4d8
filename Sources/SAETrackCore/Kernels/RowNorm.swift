/// Row L2 norms and row normalisation (e.g. unit-norm SAE decoder rows), with backward passes.
///
/// For each row `r` of an (N, C) buffer:
///
///     n_r = ‖x_r‖₂ = √(Σ_c x[r,c]²)
///     y_r = x_r / max(n_r, ε)
///
/// Backward, with upstream gradients `dn` (N) for the norms and `dy` (N, C) for the normalised rows:
///
///     norms:      dx_r = dn_r · x_r / n_r                        (0 when n_r = 0)
///     normalise:  dx_r = (dy_r − y_r (y_r · dy_r)) / n_r          when n_r > ε
///                 dx_r = dy_r / ε                                 when n_r ≤ ε (the clamp is active)
///
/// Sums of squares accumulate in Double, so norms are accurate to Float rounding for any width.
public enum RowNorm {
    /// Row norms: `norms[r] = ‖x_r‖₂`. x: (rows, cols), norms: (rows) written.
    public static func norms(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into norms: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(rows, minChunk: max(1, 16384 / max(cols, 1))) { range in
            for r in range { norms[r] = Float(sumOfSquares(x + r * cols, cols).squareRoot()) }
        }
    }

    /// Backward of ``norms(_:rows:cols:into:)``: `dx_r = dn_r · x_r / n_r`, written (overwritten).
    /// x, dx: (rows, cols); norms, dNorms: (rows).
    public static func normsBackward(
        x: UnsafePointer<Float>, norms: UnsafePointer<Float>, dNorms: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>, rows: Int, cols: Int
    ) {
        Parallel.forEachChunk(rows, minChunk: max(1, 16384 / max(cols, 1))) { range in
            for r in range {
                let xr = x + r * cols, dxr = dx + r * cols
                let f = norms[r] > 0 ? dNorms[r] / norms[r] : 0
                for c in 0..<cols { dxr[c] = f * xr[c] }
            }
        }
    }

    /// Normalises rows: `y_r = x_r / max(‖x_r‖₂, ε)`; writes the (unclamped) norms to `norms`.
    /// x, y: (rows, cols), `y` may be the same buffer as `x`; norms: (rows) written.
    public static func normalize(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, norms: UnsafeMutablePointer<Float>,
        rows: Int, cols: Int, epsilon: Float = 1e-8
    ) {
        Parallel.forEachChunk(rows, minChunk: max(1, 16384 / max(cols, 1))) { range in
            for r in range {
                let xr = x + r * cols, yr = y + r * cols
                let n = Float(sumOfSquares(xr, cols).squareRoot())
                norms[r] = n
                let inv = 1 / max(n, epsilon)
                for c in 0..<cols { yr[c] = xr[c] * inv }
            }
        }
    }

    /// Backward of ``normalize(_:_:norms:rows:cols:epsilon:)`` given its output `y` and `norms`;
    /// `dx` is written (overwritten) and may be the same buffer as `dy`.
    /// y, dy, dx: (rows, cols); norms: (rows).
    public static func normalizeBackward(
        y: UnsafePointer<Float>, norms: UnsafePointer<Float>, dy: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>, rows: Int, cols: Int, epsilon: Float = 1e-8
    ) {
        Parallel.forEachChunk(rows, minChunk: max(1, 16384 / max(cols, 1))) { range in
            for r in range {
                let yr = y + r * cols, dyr = dy + r * cols, dxr = dx + r * cols
                let n = norms[r]
                if n > epsilon {
                    var dot: Double = 0
                    for c in 0..<cols { dot += Double(yr[c]) * Double(dyr[c]) }
                    let d = Float(dot), inv = 1 / n
                    for c in 0..<cols { dxr[c] = (dyr[c] - yr[c] * d) * inv }
                } else {
                    let inv = 1 / epsilon
                    for c in 0..<cols { dxr[c] = dyr[c] * inv }
                }
            }
        }
    }

    @inline(__always)
    private static func sumOfSquares(_ p: UnsafePointer<Float>, _ n: Int) -> Double {
        var s: Double = 0
        for i in 0..<n { let v = Double(p[i]); s += v * v }
        return s
    }

    /// Returns the row norms of `x` (N values).
    public static func norms(_ x: Matrix) -> [Float] {
        var out = [Float](repeating: 0, count: x.rows)
        if x.count == 0 { return out }
        x.withUnsafeBufferPointer { px in norms(px.baseAddress!, rows: x.rows, cols: x.cols, into: &out) }
        return out
    }

    /// Returns `x` with every row scaled to unit L2 norm (rows with norm ≤ ε are divided by ε),
    /// and the norms before scaling.
    public static func normalized(_ x: Matrix, epsilon: Float = 1e-8) -> (y: Matrix, norms: [Float]) {
        var y = Matrix(rows: x.rows, cols: x.cols)
        var n = [Float](repeating: 0, count: x.rows)
        if x.count == 0 { return (y, n) }
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                normalize(px.baseAddress!, py.baseAddress!, norms: &n, rows: x.rows, cols: x.cols, epsilon: epsilon)
            }
        }
        return (y, n)
    }

    /// Normalises every row of `x` in place to unit L2 norm; returns the norms before scaling.
    @discardableResult
    public static func normalizeRows(_ x: inout Matrix, epsilon: Float = 1e-8) -> [Float] {
        var n = [Float](repeating: 0, count: x.rows)
        if x.count == 0 { return n }
        let (rows, cols) = (x.rows, x.cols)
        x.withUnsafeMutableBufferPointer { px in
            normalize(px.baseAddress!, px.baseAddress!, norms: &n, rows: rows, cols: cols, epsilon: epsilon)
        }
        return n
    }

    /// Returns dx for ``normalized(_:epsilon:)`` given its outputs and upstream `dy` (N, C).
    public static func normalizeBackward(y: Matrix, norms: [Float], dy: Matrix, epsilon: Float = 1e-8) -> Matrix {
        precondition(y.rows == dy.rows && y.cols == dy.cols && norms.count == y.rows,
                     "RowNorm.normalizeBackward: y (\(y.rows), \(y.cols)), dy (\(dy.rows), \(dy.cols)), \(norms.count) norms")
        var dx = Matrix(rows: y.rows, cols: y.cols)
        if y.count == 0 { return dx }
        y.withUnsafeBufferPointer { py in
            dy.withUnsafeBufferPointer { pdy in
                dx.withUnsafeMutableBufferPointer { pdx in
                    normalizeBackward(y: py.baseAddress!, norms: norms, dy: pdy.baseAddress!, dx: pdx.baseAddress!,
                                      rows: y.rows, cols: y.cols, epsilon: epsilon)
                }
            }
        }
        return dx
    }

    /// Returns dx for ``norms(_:)`` given `x`, its norms and upstream `dNorms` (N).
    public static func normsBackward(x: Matrix, norms: [Float], dNorms: [Float]) -> Matrix {
        precondition(norms.count == x.rows && dNorms.count == x.rows,
                     "RowNorm.normsBackward: x has \(x.rows) rows but \(norms.count) norms, \(dNorms.count) gradients")
        var dx = Matrix(rows: x.rows, cols: x.cols)
        if x.count == 0 { return dx }
        x.withUnsafeBufferPointer { px in
            dx.withUnsafeMutableBufferPointer { pdx in
                normsBackward(x: px.baseAddress!, norms: norms, dNorms: dNorms, dx: pdx.baseAddress!,
                              rows: x.rows, cols: x.cols)
            }
        }
        return dx
    }
}
