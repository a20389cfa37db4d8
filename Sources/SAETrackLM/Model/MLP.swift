import Foundation
import SAETrackCore
import SAETrackIO

/// The position-wise feed-forward block: `mlp(x) = act(x · W_in + b_in) · W_out + b_out`.
///
/// GPT-2: c_fc (C → F), gelu_new, c_proj (F → C). GPT-NeoX: dense_h_to_4h, exact GELU, dense_4h_to_h.
public struct MLP: Sendable {
    /// (C) → (F) up projection.
    public let up: Linear
    /// (F) → (C) down projection.
    public let down: Linear
    /// The non-linearity between them.
    public let activation: ActivationFunction

    public init(up: Linear, down: Linear, activation: ActivationFunction) {
        precondition(up.outFeatures == down.inFeatures && up.inFeatures == down.outFeatures,
                     "MLP: projections \(up.inFeatures)→\(up.outFeatures) and \(down.inFeatures)→\(down.outFeatures) do not chain")
        self.up = up
        self.down = down
        self.activation = activation
    }

    /// x (N, C) → (N, C).
    public func callAsFunction(_ x: Matrix) -> Matrix {
        let gelu: GELU.Approximation? = activation == .geluExact ? .exact : activation == .geluTanh ? .tanh : nil
        if let gelu {   // the up projection's bias is added in the GELU pass
            precondition(x.cols == up.inFeatures, "MLP: input has \(x.cols) columns, expected \(up.inFeatures)")
            var h = Matrix(uninitializedRows: x.rows, cols: up.outFeatures)   // (N, F), every element written
            x.withUnsafeBufferPointer { px in
                h.withUnsafeMutableBufferPointer { ph in
                    up.forward(px.baseAddress!, ph.baseAddress!, rows: x.rows, includingBias: false)
                    let bias = up.bias ?? [Float](repeating: 0, count: up.outFeatures)
                    bias.withUnsafeBufferPointer { b in
                        GELU.forward(ph.baseAddress!, bias: b.baseAddress!, ph.baseAddress!, derivative: nil,
                                     rows: x.rows, cols: up.outFeatures, approximation: gelu)
                    }
                }
            }
            return down(h)
        }
        var h = up(x)                                                          // (N, F)
        h.withUnsafeMutableBufferPointer { p in
            Self.activate(p.baseAddress!, count: p.count, activation)          // in place
        }
        return down(h)
    }

    /// Applies `activation` elementwise, in place, over `count` values.
    public static func activate(_ x: UnsafeMutablePointer<Float>, count: Int, _ activation: ActivationFunction) {
        switch activation {
        case .geluExact: GELU.forward(x, x, count: count, approximation: .exact)
        case .geluTanh: GELU.forward(x, x, count: count, approximation: .tanh)
        case .relu: ReLU.forward(x, x, count: count)
        case .silu:
            Parallel.forEachChunk(count, minChunk: 16384) { range in
                for i in range { x[i] = x[i] / (1 + expf(-x[i])) }
            }
        }
    }
}
