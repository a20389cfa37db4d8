import Foundation
import SAETrackCore

/// How an SAE normalises each input row before encoding and undoes it after decoding: SAELens's
/// `normalize_activations` modes that act at inference time (`SAE._setup_activation_normalization`,
/// 6.54.12). For a row x (d_in):
/// ```
/// none                   x' = x                               x̂ = x̂'
/// constant_norm_rescale  x' = x · √d_in / ‖x‖₂                x̂ = x̂' · ‖x‖₂ / √d_in
/// layer_norm             μ = mean_j x_j,  σ = std_j(x − μ) (unbiased, n − 1)
///                        x' = (x − μ) / (σ + 1e-5)            x̂ = x̂' · σ + μ
/// ```
/// SAELens's two other modes are not input transforms of a saved SAE: `expected_average_only_in`
/// needs a dataset scaling factor that is not in the directory (SAELens folds it into the weights
/// when it saves, setting the mode to `none`), and `covariance_whitening` is folded likewise.
/// Loading refuses both by name (`SAEDirectoryConfig.normalizeActivations`).
public enum SAEInputNormalization: String, Sendable, Equatable, CaseIterable {
    case none
    case constantNormRescale = "constant_norm_rescale"
    case layerNorm = "layer_norm"

    /// Per-row affine map back from the normalised space: x̂ = x̂' · scale + shift.
    public struct Inverse: Sendable, Equatable {
        /// (B)
        public var scale: [Float]
        /// (B)
        public var shift: [Float]
    }

    /// The normalised rows x' (B, d_in) and the per-row inverse map (nil for `none`).
    public func normalise(_ x: Matrix) -> (normalised: Matrix, inverse: Inverse?) {
        if self == .none { return (x, nil) }
        let (b, d) = (x.rows, x.cols)
        var out = x
        var scale = [Float](repeating: 1, count: b), shift = [Float](repeating: 0, count: b)
        out.withUnsafeMutableBufferPointer { o in
            for r in 0..<b {
                let row = o.baseAddress! + r * d
                switch self {
                case .none: break
                case .constantNormRescale:
                    var s2 = 0.0
                    for j in 0..<d { s2 += Double(row[j]) * Double(row[j]) }
                    // A zero row would divide by zero (NaN in SAELens); it stays zero here.
                    let norm = Float(s2.squareRoot())
                    let coefficient = norm > 0 ? Float(Double(d).squareRoot()) / norm : 1
                    for j in 0..<d { row[j] *= coefficient }
                    scale[r] = 1 / coefficient
                case .layerNorm:
                    var sum = 0.0
                    for j in 0..<d { sum += Double(row[j]) }
                    let mu = Float(sum / Double(d))
                    var s2 = 0.0
                    for j in 0..<d { row[j] -= mu; s2 += Double(row[j]) * Double(row[j]) }
                    let sigma = Float((s2 / Double(max(d - 1, 1))).squareRoot())
                    let inv = 1 / (sigma + 1e-5)
                    for j in 0..<d { row[j] *= inv }
                    scale[r] = sigma; shift[r] = mu
                }
            }
        }
        return (out, Inverse(scale: scale, shift: shift))
    }

    /// Maps x̂' (B, d_in) back in place with `inverse` (from ``normalise(_:)`` on the same rows).
    public static func restore(_ xHat: inout Matrix, with inverse: Inverse) {
        let d = xHat.cols
        precondition(inverse.scale.count == xHat.rows, "SAEInputNormalization: \(inverse.scale.count) rows of state for \(xHat.rows) rows")
        xHat.withUnsafeMutableBufferPointer { o in
            for r in 0..<inverse.scale.count {
                let (a, c) = (inverse.scale[r], inverse.shift[r])
                for j in 0..<d { o[r * d + j] = o[r * d + j] * a + c }
            }
        }
    }
}
