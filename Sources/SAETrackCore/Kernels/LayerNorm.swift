import Foundation

/// Layer normalisation over the last dimension, forward and backward side by side (llm.c style).
///
/// For each row `r` of an (N, C) buffer:
///
///     μ_r = (1/C) Σ_c x[r,c]        σ²_r = (1/C) Σ_c (x[r,c] − μ_r)²      rstd_r = 1/√(σ²_r + ε)
///     x̂[r,c] = (x[r,c] − μ_r) · rstd_r
///     y[r,c] = x̂[r,c] · weight[c] + bias[c]
///
/// The forward saves `mean` and `rstd` (N each) for the backward.
public enum LayerNorm {
    /// Forward.
    /// - Parameters:
    ///   - x: (rows, cols) input.
    ///   - weight: (cols) gain γ.  - bias: (cols) shift β.
    ///   - y: (rows, cols) output, written. May be the same buffer as `x`.
    ///   - mean: (rows) μ, written.  - rstd: (rows) 1/√(σ² + ε), written.
    ///   - epsilon: ε (GPT-2 uses 1e-5).
    public static func forward(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        _ y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        rows: Int, cols: Int, epsilon: Float = 1e-5
    ) {
        let invC = 1 / Float(cols)
        Parallel.forEachChunk(rows, minChunk: max(1, 8192 / max(cols, 1))) { range in
            for r in range {
                let xr = x + r * cols, yr = y + r * cols
                let m = SIMDMath.sum(xr, cols) * invC
                let s = 1 / (SIMDMath.sumOfSquaredDeviations(xr, cols, from: m) * invC + epsilon).squareRoot()
                var c = 0
                let (ms, ss) = (SIMD8<Float>(repeating: m), SIMD8<Float>(repeating: s))
                while c + 8 <= cols {                                    // y = (x − μ)·rstd·γ + β
                    let v = (UnsafeRawPointer(xr + c).loadUnaligned(as: SIMD8<Float>.self) - ms) * ss
                        * UnsafeRawPointer(weight + c).loadUnaligned(as: SIMD8<Float>.self)
                        + UnsafeRawPointer(bias + c).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(yr + c).storeBytes(of: v, as: SIMD8<Float>.self)
                    c += 8
                }
                while c < cols { yr[c] = (xr[c] - m) * s * weight[c] + bias[c]; c += 1 }
                mean[r] = m
                rstd[r] = s
            }
        }
    }

    /// Backward.
    ///
    /// With g = dy ⊙ γ:
    ///
    ///     dx[r,c]   = rstd_r · ( g[r,c] − mean_c'(g[r,c']) − x̂[r,c] · mean_c'(g[r,c'] · x̂[r,c']) )
    ///     dweight[c] += Σ_r dy[r,c] · x̂[r,c]
    ///     dbias[c]   += Σ_r dy[r,c]
    ///
    /// - Parameters:
    ///   - dy: (rows, cols) upstream gradient.  - x: (rows, cols) the forward input.
    ///   - weight: (cols) γ.  - mean, rstd: (rows) saved by the forward.
    ///   - dx: (rows, cols) written (overwritten).
    ///   - dweight, dbias: (cols) **accumulated** (+=), so several batches can add into them.
    ///   - residual: (rows, cols) added to `dx` in the same pass (a residual stream's other
    ///     gradient path), or nil. May not be `dx`.
    public static func backward(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>,
        rows: Int, cols: Int, residual: UnsafePointer<Float>? = nil
    ) {
        backwardInput(dy: dy, x: x, weight: weight, mean: mean, rstd: rstd, dx: dx, rows: rows, cols: cols,
                      residual: residual)
        accumulateWeightGradients(dy: dy, x: x, mean: mean, rstd: rstd, dweight: dweight, dbias: dbias,
                                  rows: rows, cols: cols)
    }

    /// The input half of ``backward(dy:x:weight:mean:rstd:dx:dweight:dbias:rows:cols:residual:)``:
    /// `dx` (plus `residual`) only, row by row — safe to call on disjoint row blocks from several threads.
    public static func backwardInput(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
        rows: Int, cols: Int, residual: UnsafePointer<Float>? = nil
    ) {
        let invC = 1 / Float(cols)
        // dx: independent per row.
        Parallel.forEachChunk(rows, minChunk: max(1, 8192 / max(cols, 1))) { range in
            for r in range {
                let dyr = dy + r * cols, xr = x + r * cols, dxr = dx + r * cols
                let m = mean[r], s = rstd[r]
                // gMean = mean_c(dy·γ), gxMean = mean_c(dy·γ·x̂), with 8-lane partial sums.
                var g8 = SIMD8<Float>(), gx8 = SIMD8<Float>()
                let (ms, ss) = (SIMD8<Float>(repeating: m), SIMD8<Float>(repeating: s))
                var c = 0
                while c + 8 <= cols {
                    let g = UnsafeRawPointer(dyr + c).loadUnaligned(as: SIMD8<Float>.self)
                        * UnsafeRawPointer(weight + c).loadUnaligned(as: SIMD8<Float>.self)
                    g8 += g
                    gx8 += g * ((UnsafeRawPointer(xr + c).loadUnaligned(as: SIMD8<Float>.self) - ms) * ss)
                    c += 8
                }
                var gMean = g8.sum(), gxMean = gx8.sum()
                while c < cols {
                    let g = dyr[c] * weight[c]
                    gMean += g
                    gxMean += g * (xr[c] - m) * s
                    c += 1
                }
                gMean *= invC
                gxMean *= invC
                let rr = residual.map { $0 + r * cols }
                let (gm8, gx8m) = (SIMD8<Float>(repeating: gMean), SIMD8<Float>(repeating: gxMean))
                c = 0
                while c + 8 <= cols {
                    let xhat = (UnsafeRawPointer(xr + c).loadUnaligned(as: SIMD8<Float>.self) - ms) * ss
                    let g = UnsafeRawPointer(dyr + c).loadUnaligned(as: SIMD8<Float>.self)
                        * UnsafeRawPointer(weight + c).loadUnaligned(as: SIMD8<Float>.self)
                    var d = ss * (g - gm8 - xhat * gx8m)
                    if let rr { d += UnsafeRawPointer(rr + c).loadUnaligned(as: SIMD8<Float>.self) }
                    UnsafeMutableRawPointer(dxr + c).storeBytes(of: d, as: SIMD8<Float>.self)
                    c += 8
                }
                while c < cols {
                    let xhat = (xr[c] - m) * s
                    dxr[c] = s * (dyr[c] * weight[c] - gMean - xhat * gxMean) + (rr?[c] ?? 0)
                    c += 1
                }
            }
        }
    }

    /// The parameter half of ``backward(dy:x:weight:mean:rstd:dx:dweight:dbias:rows:cols:residual:)``:
    /// `dweight[c] += Σ_r dy[r,c]·x̂[r,c]`, `dbias[c] += Σ_r dy[r,c]` over all rows.
    public static func accumulateWeightGradients(
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        dweight: UnsafeMutablePointer<Float>, dbias: UnsafeMutablePointer<Float>, rows: Int, cols: Int
    ) {
        // dweight, dbias: reductions over rows, split by columns so the sum order never depends
        // on the thread count.
        Parallel.forEachChunk(cols, minChunk: max(1, 65536 / max(rows, 1))) { colRange in
            for r in 0..<rows {
                let dyr = dy + r * cols, xr = x + r * cols
                let m = mean[r], s = rstd[r]
                for c in colRange {
                    dweight[c] += dyr[c] * (xr[c] - m) * s
                    dbias[c] += dyr[c]
                }
            }
        }
    }

    /// The forward on matrices: returns (y, mean, rstd) with y (N, C) and mean, rstd (N).
    /// `weight` and `bias` hold `x.cols` elements.
    public static func forward(
        _ x: Matrix, weight: [Float], bias: [Float], epsilon: Float = 1e-5
    ) -> (y: Matrix, mean: [Float], rstd: [Float]) {
        precondition(weight.count == x.cols && bias.count == x.cols,
                     "LayerNorm.forward: x has \(x.cols) columns but weight has \(weight.count), bias \(bias.count)")
        var y = Matrix(rows: x.rows, cols: x.cols)
        var mean = [Float](repeating: 0, count: x.rows), rstd = [Float](repeating: 0, count: x.rows)
        if x.count == 0 { return (y, mean, rstd) }
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                forward(px.baseAddress!, weight: weight, bias: bias, py.baseAddress!, mean: &mean, rstd: &rstd,
                        rows: x.rows, cols: x.cols, epsilon: epsilon)
            }
        }
        return (y, mean, rstd)
    }

    /// The backward on matrices: returns dx (N, C) and fresh dweight, dbias (C).
    public static func backward(
        dy: Matrix, x: Matrix, weight: [Float], mean: [Float], rstd: [Float]
    ) -> (dx: Matrix, dweight: [Float], dbias: [Float]) {
        precondition(dy.rows == x.rows && dy.cols == x.cols,
                     "LayerNorm.backward: dy is (\(dy.rows), \(dy.cols)) but x is (\(x.rows), \(x.cols))")
        precondition(weight.count == x.cols && mean.count == x.rows && rstd.count == x.rows,
                     "LayerNorm.backward: weight, mean, rstd must hold \(x.cols), \(x.rows), \(x.rows) elements")
        var dx = Matrix(rows: x.rows, cols: x.cols)
        var dweight = [Float](repeating: 0, count: x.cols), dbias = [Float](repeating: 0, count: x.cols)
        if x.count == 0 { return (dx, dweight, dbias) }
        dy.withUnsafeBufferPointer { pdy in
            x.withUnsafeBufferPointer { px in
                dx.withUnsafeMutableBufferPointer { pdx in
                    backward(dy: pdy.baseAddress!, x: px.baseAddress!, weight: weight, mean: mean, rstd: rstd,
                             dx: pdx.baseAddress!, dweight: &dweight, dbias: &dbias, rows: x.rows, cols: x.cols)
                }
            }
        }
        return (dx, dweight, dbias)
    }
}
