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
                for i in range { let v = x[i]; y[i] = 0.5 * v * (1 + erff(v * invSqrt2)) }
            case .tanh:
                for i in range {
                    let v = x[i]
                    y[i] = 0.5 * v * (1 + tanhf(sqrt2OverPi * (v + cubic * v * v * v)))
                }
            }
        }
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
                for i in range {
                    let v = x[i]
                    let cdf = 0.5 * (1 + erff(v * invSqrt2))
                    let pdf = invSqrt2Pi * expf(-0.5 * v * v)
                    dx[i] = dy[i] * (cdf + v * pdf)
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
