import Foundation
import Testing
@testable import SAETrackCore

@Suite("Softmax")
struct SoftmaxTests {
    @Test("rows sum to 1 and match a Double reference")
    func rowsSumToOne() {
        var rng = SeededRandom(seed: 11)
        let x = rng.matrix(9, 33, -6, 6)
        let y = Softmax.forward(x, scale: 0.7)
        for r in 0..<x.rows {
            let row = x.row(r).map { 0.7 * Double($0) }
            let m = row.max()!
            let e = row.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            var sum: Double = 0
            for c in 0..<x.cols {
                #expect(abs(Double(y[r, c]) - e[c] / s) < 1e-6)
                sum += Double(y[r, c])
            }
            #expect(abs(sum - 1) < 1e-5)
        }
    }

    @Test("causal mask: entries above each (T, T) block's diagonal are exactly 0, the rest sum to 1")
    func causalMask() {
        var rng = SeededRandom(seed: 12)
        let t = 7
        let x = rng.matrix(3 * t, t, -5, 5)   // three (T, T) blocks
        let y = Softmax.forward(x, causal: true)
        for r in 0..<x.rows {
            let q = r % t
            var sum: Double = 0
            for c in 0..<t {
                if c > q { #expect(y[r, c] == 0, "row \(r) col \(c)") } else { sum += Double(y[r, c]) }
            }
            #expect(abs(sum - 1) < 1e-5)
        }
        // Large masked logits must not leak into the valid part.
        var big = x
        for r in 0..<big.rows { for c in (r % t + 1)..<t { big[r, c] = 1e30 } }
        #expect(Softmax.forward(big, causal: true) == y)
    }

    @Test("backward matches central finite differences (plain, scaled and causal)")
    func backwardMatchesFiniteDifferences() {
        var rng = SeededRandom(seed: 13)
        for (rows, cols, scale, causal) in [(5, 7, Float(1), false), (4, 9, Float(0.35), false), (10, 5, Float(0.8), true)] {
            let x = rng.matrix(rows, cols, -2, 2)
            let w = rng.floats(rows * cols)
            let y = Softmax.forward(x, scale: scale, causal: causal)
            let dx = Softmax.backward(y: y, dy: Matrix(rows: rows, cols: cols, storage: w), scale: scale)
            let numeric = FiniteDifference.gradient(
                of: { Softmax.forward(Matrix(rows: rows, cols: cols, storage: $0), scale: scale, causal: causal).storage },
                at: x.storage, weights: w, h: 1e-2)
            let err = FiniteDifference.maxRelativeError(dx.storage, numeric)
            #expect(err < 1e-3, "rows \(rows) cols \(cols) scale \(scale) causal \(causal): error \(err)")
        }
    }
}
