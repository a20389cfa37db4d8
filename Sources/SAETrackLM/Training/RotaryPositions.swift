import Foundation
import SAETrackCore

/// GPT-NeoX rotary position embedding (rotate-half convention) on the first `dims` columns of each
/// head's query and key, with its backward (the inverse rotation) beside it.
///
/// For position t and pair i < dims/2 with angle θ = t · base^(−2i/dims):
///
///     forward:  y[i] = x[i]·cos θ − x[i+dims/2]·sin θ,   y[i+dims/2] = x[i+dims/2]·cos θ + x[i]·sin θ
///     backward: the transpose rotation (θ → −θ) applied to the gradient.
///
/// Columns `dims ..< head_dim` pass through. Angles are computed in `Float` as transformers does.
struct RotaryPositions: Sendable {
    /// Rotated columns per head (even).
    let dims: Int
    /// Positions covered by the tables.
    let context: Int
    private let cosTable: [Float]   // (T, dims/2)
    private let sinTable: [Float]   // (T, dims/2)

    init(dims: Int, base: Double, context: Int) {
        self.dims = dims
        self.context = context
        let half = dims / 2
        var c = [Float](repeating: 1, count: context * half)
        var s = [Float](repeating: 0, count: context * half)
        for i in 0..<half {
            let invFreq = 1 / powf(Float(base), Float(2 * i) / Float(dims))
            for t in 0..<context {
                let angle = Float(t) * invFreq
                c[t * half + i] = cosf(angle)
                s[t * half + i] = sinf(angle)
            }
        }
        cosTable = c
        sinTable = s
    }

    /// Rotates every head's query and key in place.
    /// - Parameter qkv: (B*T, 3C) fused projections; row n is position n mod T.
    func forward(_ qkv: UnsafeMutablePointer<Float>, rows: Int, context t: Int, layout: HeadColumns) {
        apply(qkv, rows: rows, context: t, layout: layout, sinSign: 1)
    }

    /// Rotates the query and key gradients back: dx = Rᵀ dy, in place.
    /// - Parameter dqkv: (B*T, 3C) gradient of the rotated projections; becomes the gradient before rotation.
    func backward(_ dqkv: UnsafeMutablePointer<Float>, rows: Int, context t: Int, layout: HeadColumns) {
        apply(dqkv, rows: rows, context: t, layout: layout, sinSign: -1)
    }

    private func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, context t: Int, layout: HeadColumns, sinSign: Float) {
        let half = dims / 2
        guard half > 0 else { return }
        precondition(t <= context, "RotaryPositions: context \(t) exceeds the table's \(context) positions")
        let width = layout.rowWidth
        cosTable.withUnsafeBufferPointer { cosT in
            sinTable.withUnsafeBufferPointer { sinT in
                Parallel.forEachChunk(rows, minChunk: 64) { range in
                    for n in range {
                        let cs = cosT.baseAddress! + (n % t) * half
                        let sn = sinT.baseAddress! + (n % t) * half
                        for h in 0..<layout.heads {
                            for column in [layout.query(h), layout.key(h)] {
                                let v = x + n * width + column
                                for i in 0..<half {
                                    let (x1, x2, s) = (v[i], v[i + half], sinSign * sn[i])
                                    v[i] = x1 * cs[i] - x2 * s
                                    v[i + half] = x2 * cs[i] + x1 * s
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
