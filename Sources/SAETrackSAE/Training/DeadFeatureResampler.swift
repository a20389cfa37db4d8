import Foundation
import SAETrackCore

/// The mechanics of ``DeadFeatureResampling``: finding silent features on a sample, drawing
/// high-loss inputs, and re-initialising the features' weights and Adam moments toward them.
package enum DeadFeatureResampler {
    /// Features with no non-zero code in `codes` (B, d_sae), increasing.
    package static func silentFeatures(_ codes: SparseRows) -> [Int32] {
        var fired = [Bool](repeating: false, count: codes.cols)
        for i in codes.index { fired[Int(i)] = true }
        return fired.indices.filter { !fired[$0] }.map { Int32($0) }
    }

    /// ‖x_b − x̂_b‖² for each row of x, x̂ (B, d_in) → (B).
    package static func rowLosses(_ x: Matrix, _ xHat: Matrix) -> [Float] {
        precondition(x.rows == xHat.rows && x.cols == xHat.cols, "DeadFeatureResampler.rowLosses: shapes differ")
        let d = x.cols
        var out = [Float](repeating: 0, count: x.rows)
        x.withUnsafeBufferPointer { xb in xHat.withUnsafeBufferPointer { hb in
            for b in 0..<x.rows {
                var s: Float = 0
                for j in 0..<d { let e = xb[b * d + j] - hb[b * d + j]; s += e * e }
                out[b] = s
            }
        } }
        return out
    }

    /// `count` row indices drawn with replacement with probability ∝ loss² (uniform if every loss is 0).
    package static func drawRows(losses: [Float], count: Int, seed: UInt64) -> [Int] {
        precondition(!losses.isEmpty, "DeadFeatureResampler.drawRows: no rows")
        var cumulative = [Double](repeating: 0, count: losses.count)
        var total = 0.0
        for (b, l) in losses.enumerated() { total += Double(l) * Double(l); cumulative[b] = total }
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            if !(total > 0) { return rng.int(below: losses.count) }
            let u = Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0) * total     // [0, total)
            var lo = 0, hi = cumulative.count - 1                                           // first c > u
            while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] > u { hi = mid } else { lo = mid + 1 } }
            return lo
        }
    }

    /// Re-initialises `features` toward rows `rows[k]` of `inputs` (N, d_in), as ``DeadFeatureResampling``
    /// states, and zeroes their Adam moments. A feature whose input equals b_dec is left as it is.
    package static func reinitialise(_ p: inout SAEParameters, moments: inout Adam, features: [Int32], inputs: Matrix,
                                    rows: [Int], encoderScale: Float) {
        precondition(features.count == rows.count, "DeadFeatureResampler.reinitialise: one input row per feature")
        precondition(inputs.cols == p.dIn, "DeadFeatureResampler.reinitialise: inputs have \(inputs.cols) columns, d_in is \(p.dIn)")
        let (d, m) = (p.dIn, p.dSAE)
        var isDead = [Bool](repeating: false, count: m)
        for f in features { isDead[Int(f)] = true }
        var normSum = 0.0, alive = 0
        p.wEncT.withUnsafeBufferPointer { w in
            for i in 0..<m where !isDead[i] {
                normSum += Double(SIMDMath.dot(w.baseAddress! + i * d, w.baseAddress! + i * d, d).squareRoot()); alive += 1
            }
        }
        let encoderNorm = encoderScale * (alive > 0 ? Float(normSum / Double(alive)) : 1)
        let bDec = p.bDec
        for (f, r) in zip(features, rows) {
            let i = Int(f)
            var u = inputs.row(r)
            for j in 0..<d { u[j] -= bDec[j] }
            let norm = SIMDMath.dot(u, u, d).squareRoot()
            guard norm > 0 else { continue }
            for j in 0..<d {
                p.wDec[i, j] = u[j] / norm
                p.wEncT[i, j] = encoderNorm * u[j] / norm
                moments.m.wDec[i, j] = 0; moments.v.wDec[i, j] = 0
                moments.m.wEncT[i, j] = 0; moments.v.wEncT[i, j] = 0
            }
            p.bEnc[i] = 0
            moments.m.bEnc[i] = 0; moments.v.bEnc[i] = 0
        }
    }
}
