import Foundation
import SAETrackCore

/// Rotary position embedding, GPT-NeoX ("rotate-half") convention, on the first `dims` dimensions
/// of every head's query and key; the remaining `headDim − dims` pass through.
///
/// With `half = dims/2`, `θ_i = base^(−2i/dims)` and position `p` (the token's index in its row):
///
///     forward:  y[i]      = x[i]·cos(pθ_i) − x[i+half]·sin(pθ_i)          (i < half)
///               y[i+half] = x[i+half]·cos(pθ_i) + x[i]·sin(pθ_i)
///     inverse:  the same with sin → −sin (rotation by −pθ_i = the transpose of the forward)
///
/// The inverse is also the backward: dL/dx = Rᵀ · dL/dy, so a trainer rotates the q/k gradients
/// with ``rotate(_:rows:context:heads:headDim:layout:direction:bias:)`` and `.inverse`.
/// Angles follow transformers in float32: `θ_i` and `p·θ_i` are float32 products.
package struct Rotary: Sendable {
    /// Rotate by +pθ (forward) or −pθ (inverse / backward).
    package enum Direction: Sendable { case forward, inverse }

    /// Rotated dimensions per head (even).
    package let dims: Int
    /// The base θ (10000 for Pythia).
    package let base: Double
    /// Positions the tables cover.
    package let maxPositions: Int
    private let cosTable: [Float]   // (maxPositions, dims/2)
    private let sinTable: [Float]   // (maxPositions, dims/2)

    /// Tables for positions `0..<maxPositions`. `dims` must be even and positive.
    package init(dims: Int, base: Double, maxPositions: Int) {
        precondition(dims > 0 && dims % 2 == 0, "Rotary: rotated dimensions must be even and positive, got \(dims)")
        self.dims = dims
        self.base = base
        self.maxPositions = maxPositions
        let half = dims / 2
        let invFreq: [Float] = (0..<half).map { i in
            Float(1.0 / Foundation.pow(base, Double(2 * i) / Double(dims)))   // (half)
        }
        var c = [Float](repeating: 0, count: maxPositions * half)
        var s = [Float](repeating: 0, count: maxPositions * half)
        for p in 0..<maxPositions {
            for i in 0..<half {
                let angle = Double(Float(p) * invFreq[i])
                c[p * half + i] = Float(Foundation.cos(angle))
                s[p * half + i] = Float(Foundation.sin(angle))
            }
        }
        cosTable = c
        sinTable = s
    }

    /// Rotates, in place, the q and k of every head of every token in a fused QKV buffer.
    /// - Parameters:
    ///   - qkv: (rows·context, 3C) fused projection output (or its gradient), row stride 3C.
    ///   - rows, context: the batch is `rows` sequences of `context` tokens; token (b, t) has position t.
    ///   - heads, headDim: C = heads·headDim.
    ///   - layout: where each head's q and k live.
    ///   - bias: (3C) added to every row before rotating (the projection's bias, fused into this
    ///     pass), or nil.
    package func rotate(_ qkv: UnsafeMutablePointer<Float>, rows: Int, context: Int, heads: Int, headDim: Int,
                       layout: QKVLayout, direction: Direction = .forward, bias: UnsafePointer<Float>? = nil) {
        precondition(context <= maxPositions, "Rotary: context \(context) exceeds the \(maxPositions) tabulated positions")
        precondition(dims <= headDim, "Rotary: \(dims) rotated dimensions exceed head_dim \(headDim)")
        let (dModel, half) = (heads * headDim, dims / 2)
        let ld = 3 * dModel
        let sign: Float = direction == .forward ? 1 : -1
        cosTable.withUnsafeBufferPointer { cosT in
            sinTable.withUnsafeBufferPointer { sinT in
                Parallel.forEachChunk(rows * context, minChunk: 64) { tokens in
                    for token in tokens {
                        let row = qkv + token * ld                        // (3C)
                        if let bias { Self.add(bias, to: row, count: ld) }
                        let t = token % context
                        let cp = cosT.baseAddress! + t * half, sp = sinT.baseAddress! + t * half   // (half)
                        for h in 0..<heads {
                            let o = layout.offsets(head: h, headDim: headDim, dModel: dModel)
                            Self.rotateHalf(row + o.q, cos: cp, sin: sp, half: half, sign: sign)   // q (dims)
                            Self.rotateHalf(row + o.k, cos: cp, sin: sp, half: half, sign: sign)   // k (dims)
                        }
                    }
                }
            }
        }
    }

    /// row[i] += bias[i] over `count` elements, 8 lanes at a time.
    @inline(__always)
    private static func add(_ bias: UnsafePointer<Float>, to row: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self)
                + UnsafeRawPointer(bias + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(row + i).storeBytes(of: v, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { row[i] += bias[i]; i += 1 }
    }

    /// Rotates one head vector's first `2·half` dimensions by the angles whose cos/sin are given.
    @inline(__always)
    private static func rotateHalf(_ x: UnsafeMutablePointer<Float>, cos: UnsafePointer<Float>,
                                   sin: UnsafePointer<Float>, half: Int, sign: Float) {
        for i in 0..<half {
            let (a, b) = (x[i], x[i + half])
            let (c, s) = (cos[i], sign * sin[i])
            x[i] = a * c - b * s
            x[i + half] = b * c + a * s
        }
    }
}
