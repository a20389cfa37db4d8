import CSupport
import Foundation

/// The Gaussian error linear unit, elementwise, in both forms found in checkpoints.
///
///     exact ("gelu", GPT-NeoX / Pythia):  y = x · Φ(x) = ½ x (1 + erf(x/√2))
///         dy/dx = Φ(x) + x · φ(x),  φ(x) = exp(−x²/2)/√(2π)
///     tanh  ("gelu_new", GPT-2):          y = ½ x (1 + tanh(u)),  u = √(2/π) (x + 0.044715 x³)
///         dy/dx = ½ (1 + tanh u) + ½ x (1 − tanh² u) · √(2/π) (1 + 3 · 0.044715 x²)
public enum GELU {
    /// Which formula to use.
    public enum Approximation: String, Sendable, Codable {
        /// The erf form (Hugging Face `"gelu"`).
        case exact
        /// The tanh form (Hugging Face `"gelu_new"`, `"gelu_pytorch_tanh"`).
        case tanh
    }

    private static let sqrt2OverPi: Float = 0.797_884_560_802_865_4   // √(2/π)
    private static let invSqrt2: Float = 0.707_106_781_186_547_5     // 1/√2
    private static let invSqrt2Pi: Float = 0.398_942_280_401_432_7   // 1/√(2π)
    private static let cubic: Float = 0.044715

    /// Forward over `count` elements: `y[i] = gelu(x[i])`. `y` may be the same buffer as `x`.
    public static func forward(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, approximation: Approximation
    ) {
        Parallel.forEachChunk(count, minChunk: 16384) { range in
            switch approximation {
            case .exact:
                // 8 lanes at a time through a rational erf; the ragged tail goes through the same
                // vector code (zero-padded), so every element gets identical arithmetic whatever the chunking.
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(y + i).storeBytes(of: 0.5 * v * (1 + erf8(v * invSqrt2)), as: SIMD8<Float>.self)
                    i += 8
                }
                if i < range.upperBound {
                    let n = range.upperBound - i
                    var v = SIMD8<Float>(repeating: 0)
                    for l in 0..<n { v[l] = x[i + l] }
                    let g = 0.5 * v * (1 + erf8(v * invSqrt2))
                    for l in 0..<n { y[i + l] = g[l] }
                }
            case .tanh:
                for i in range {
                    let v = x[i]
                    y[i] = 0.5 * v * (1 + tanhf(sqrt2OverPi * (v + cubic * v * v * v)))
                }
            }
        }
    }

    /// erf(x) for 8 lanes: the odd/even rational minimax fit Eigen and XLA use for float32 erf,
    /// on x clamped to [−4, 4] (erf is ±1 in float32 beyond). Max abs error 4.3e-7 against
    /// Double erf on a dense grid over [−10, 10]; several times faster than `erff` per element.
    @inline(__always)
    static func erf8(_ a: SIMD8<Float>) -> SIMD8<Float> {
        var x = a                                               // clamp via masks (inlines; `clamped` does not)
        x.replace(with: SIMD8(repeating: 4), where: x .> 4)
        x.replace(with: SIMD8(repeating: -4), where: x .< -4)
        let x2 = x * x
        var p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08   // numerator, odd: x · P(x²)
        p = x2 * p + -2.10102402082508e-06
        p = x2 * p + -5.69250639462346e-05
        p = x2 * p + -7.34990630326855e-04
        p = x2 * p + -2.95459980854025e-03
        p = x2 * p + -1.60960333262415e-02
        var q = x2 * -1.45660718464996e-05 + -2.13374055278905e-04   // denominator, even: Q(x²)
        q = x2 * q + -1.68282697438203e-03
        q = x2 * q + -7.37332916720468e-03
        q = x2 * q + -1.42647390514189e-02
        return x * p / q
    }

    /// Backward over `count` elements: `dx[i] = dy[i] · gelu'(x[i])`, with `x` the forward *input*.
    /// `dx` is written (overwritten) and may be the same buffer as `dy`.
    public static func backward(
        x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
        count: Int, approximation: Approximation
    ) {
        Parallel.forEachChunk(count, minChunk: 16384) { range in
            switch approximation {
            case .exact:
                // dx = dy · (Φ(x) + x·φ(x)), 8 lanes at a time through erf8 and an 8-lane exp; the
                // ragged tail goes through the same vector code (zero-padded).
                @inline(__always) func grad(_ v: SIMD8<Float>) -> SIMD8<Float> {
                    let cdf = 0.5 * (1 + erf8(v * invSqrt2))
                    return cdf + v * (invSqrt2Pi * SIMDMath.exp(-0.5 * v * v))
                }
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                    let d = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(dx + i).storeBytes(of: d * grad(v), as: SIMD8<Float>.self)
                    i += 8
                }
                if i < range.upperBound {
                    let n = range.upperBound - i
                    var v = SIMD8<Float>(repeating: 0)
                    for l in 0..<n { v[l] = x[i + l] }
                    let g = grad(v)
                    for l in 0..<n { dx[i + l] = dy[i + l] * g[l] }
                }
            case .tanh:
                for i in range {
                    let v = x[i]
                    let t = tanhf(sqrt2OverPi * (v + cubic * v * v * v))
                    let du = sqrt2OverPi * (1 + 3 * cubic * v * v)
                    dx[i] = dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du)
                }
            }
        }
    }

    /// Bias add, GELU and (optionally) its derivative in one pass over an (rows, cols) buffer:
    ///
    ///     pre = x[r, c] + bias[c]        y[r, c] = gelu(pre)        derivative[r, c] = gelu'(pre)
    ///
    /// A trainer keeps `derivative` instead of the pre-activation, so the backward is one multiply
    /// (``backward(derivative:dy:dx:count:)``) and erf is evaluated once per element per step. The
    /// formulas are those of ``forward(_:_:count:approximation:)`` and
    /// ``backward(x:dy:dx:count:approximation:)`` applied to `pre`; the exact form runs 8-lane
    /// AVX2 + FMA code (the same erf fit and exp polynomial) where the CPU has it, libm `erff` and
    /// `expf` otherwise.
    /// - Parameters:
    ///   - x: (rows, cols) input. `y` or `derivative` may be the same buffer (not both).
    ///   - bias: (cols) added to every row first, or nil.
    ///   - y: (rows, cols) written.
    ///   - derivative: (rows, cols) written with gelu'(pre), or nil (inference).
    public static func forward(
        _ x: UnsafePointer<Float>, bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>,
        derivative: UnsafeMutablePointer<Float>?, rows: Int, cols: Int, approximation: Approximation
    ) {
        Parallel.forEachChunk(rows, minChunk: max(1, 16384 / max(cols, 1))) { range in
            for r in range {
                let (xr, yr, dr) = (x + r * cols, y + r * cols, derivative.map { $0 + r * cols })
                switch approximation {
                case .exact:
                    saetrack_gelu_exact(xr, bias.map { $0 }, yr, dr, cols)
                case .tanh:
                    for c in 0..<cols {
                        let v = xr[c] + (bias?[c] ?? 0)
                        let t = tanhf(sqrt2OverPi * (v + cubic * v * v * v))
                        yr[c] = 0.5 * v * (1 + t)
                        if let dr {
                            let du = sqrt2OverPi * (1 + 3 * cubic * v * v)
                            dr[c] = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du
                        }
                    }
                }
            }
        }
    }

    /// Backward from a saved derivative: `dx[i] = dy[i] · derivative[i]` (see
    /// ``forward(_:bias:_:derivative:rows:cols:approximation:)``). `dx` may be `dy`.
    public static func backward(
        derivative: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, count: Int
    ) {
        Parallel.forEachChunk(count, minChunk: 32768) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let d = UnsafeRawPointer(derivative + i).loadUnaligned(as: SIMD8<Float>.self)
                let g = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(dx + i).storeBytes(of: d * g, as: SIMD8<Float>.self)
                i += 8
            }
            while i < range.upperBound { dx[i] = dy[i] * derivative[i]; i += 1 }
        }
    }

    /// Returns `gelu(x)` elementwise.
    public static func forward(_ x: Matrix, approximation: Approximation) -> Matrix {
        var y = Matrix(rows: x.rows, cols: x.cols)
        if x.count == 0 { return y }
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                forward(px.baseAddress!, py.baseAddress!, count: x.count, approximation: approximation)
            }
        }
        return y
    }

    /// Returns `dy ⊙ gelu'(x)`, with `x` the forward input.
    public static func backward(x: Matrix, dy: Matrix, approximation: Approximation) -> Matrix {
        precondition(x.rows == dy.rows && x.cols == dy.cols,
                     "GELU.backward: x is (\(x.rows), \(x.cols)) but dy is (\(dy.rows), \(dy.cols))")
        var dx = Matrix(rows: x.rows, cols: x.cols)
        if x.count == 0 { return dx }
        x.withUnsafeBufferPointer { px in
            dy.withUnsafeBufferPointer { pdy in
                dx.withUnsafeMutableBufferPointer { pdx in
                    backward(x: px.baseAddress!, dy: pdy.baseAddress!, dx: pdx.baseAddress!,
                             count: x.count, approximation: approximation)
                }
            }
        }
        return dx
    }
}
