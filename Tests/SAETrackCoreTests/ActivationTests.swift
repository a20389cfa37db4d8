import Foundation
import Testing
@testable import SAETrackCore

@Suite("GELU and ReLU")
struct ActivationTests {
    @Test("GELU forward matches the Double formulas (erf and tanh forms)", arguments: [GELU.Approximation.exact, .tanh])
    func geluForward(_ approximation: GELU.Approximation) {
        var rng = SeededRandom(seed: 31)
        let x = rng.matrix(7, 33, -6, 6)
        let y = GELU.forward(x, approximation: approximation)
        for (v, out) in zip(x.storage, y.storage) {
            let d = Double(v)
            let ref = approximation == .exact
                ? 0.5 * d * (1 + erf(d / 2.0.squareRoot()))
                : 0.5 * d * (1 + tanh((2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d)))
            #expect(abs(Double(out) - ref) < 1e-5)
        }
    }

    @Test("GELU backward matches central finite differences", arguments: [GELU.Approximation.exact, .tanh])
    func geluBackward(_ approximation: GELU.Approximation) {
        var rng = SeededRandom(seed: 32)
        let x = rng.matrix(3, 41, -5, 5)
        let w = rng.floats(x.count)
        let dx = GELU.backward(x: x, dy: Matrix(rows: 3, cols: 41, storage: w), approximation: approximation)
        let numeric = FiniteDifference.gradient(
            of: { GELU.forward(Matrix(rows: 3, cols: 41, storage: $0), approximation: approximation).storage },
            at: x.storage, weights: w, h: 1e-2)
        #expect(FiniteDifference.maxRelativeError(dx.storage, numeric) < 1e-3)
    }

    @Test("fused bias + GELU + derivative matches the Double formulas, and one multiply is the backward",
          arguments: [GELU.Approximation.exact, .tanh], SIMDMath.KernelForm.allCases)
    func geluFusedWithBiasAndDerivative(_ approximation: GELU.Approximation, _ form: SIMDMath.KernelForm) {
        SIMDMath.withKernelForm(form) { geluFused(approximation) }
    }

    private func geluFused(_ approximation: GELU.Approximation) {
        var rng = SeededRandom(seed: 34)
        let (rows, cols) = (5, 37)                                 // 37: a ragged 8-lane tail per row
        let x = rng.floats(rows * cols).map { $0 * 6 }
        let bias = rng.floats(cols)
        var y = [Float](repeating: 0, count: x.count), d = [Float](repeating: 0, count: x.count)
        var inPlace = x                                            // y in a separate buffer, derivative over x
        var yInPlace = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { px in
            GELU.forward(px.baseAddress!, bias: bias, &y, derivative: &d, rows: rows, cols: cols, approximation: approximation)
        }
        inPlace.withUnsafeMutableBufferPointer { p in
            GELU.forward(p.baseAddress!, bias: bias, &yInPlace, derivative: p.baseAddress!, rows: rows, cols: cols,
                         approximation: approximation)
        }
        #expect(yInPlace == y && inPlace == d)
        for r in 0..<rows {
            for c in 0..<cols {
                let v = Double(x[r * cols + c] + bias[c])
                let (ref, dref): (Double, Double)
                if approximation == .exact {
                    let cdf = 0.5 * (1 + erf(v / 2.0.squareRoot()))
                    (ref, dref) = (v * cdf, cdf + v * exp(-0.5 * v * v) / (2 * Double.pi).squareRoot())
                } else {
                    let k = (2 / Double.pi).squareRoot(), t = tanh(k * (v + 0.044715 * v * v * v))
                    (ref, dref) = (0.5 * v * (1 + t), 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * 0.044715 * v * v))
                }
                #expect(abs(Double(y[r * cols + c]) - ref) < 1e-5, "y at (\(r), \(c))")
                #expect(abs(Double(d[r * cols + c]) - dref) < 1e-5, "gelu' at (\(r), \(c))")
            }
        }
        let dy = rng.floats(x.count)
        var dx = [Float](repeating: 0, count: x.count)
        GELU.backward(derivative: d, dy: dy, dx: &dx, count: x.count)
        #expect(dx == zip(dy, d).map { $0 * $1 })
        // without a derivative buffer the output is the same
        var yOnly = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { px in
            GELU.forward(px.baseAddress!, bias: bias, &yOnly, derivative: nil, rows: rows, cols: cols, approximation: approximation)
        }
        #expect(yOnly == y)
    }

    @Test("ReLU forward and backward (finite differences away from the kink)")
    func relu() {
        var rng = SeededRandom(seed: 33)
        // Keep |x| ≥ 0.1 so x ± h never crosses 0.
        let x = Matrix(rows: 4, cols: 9, storage: rng.floats(36).map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 })
        let y = ReLU.forward(x)
        #expect(y.storage == x.storage.map { max($0, 0) })
        let w = rng.floats(36)
        let dx = ReLU.backward(x: x, dy: Matrix(rows: 4, cols: 9, storage: w))
        let numeric = FiniteDifference.gradient(
            of: { ReLU.forward(Matrix(rows: 4, cols: 9, storage: $0)).storage }, at: x.storage, weights: w)
        #expect(FiniteDifference.maxRelativeError(dx.storage, numeric) < 1e-4)
        #expect(ReLU.backward(x: Matrix([[0, -1, 2]]), dy: Matrix([[5, 5, 5]])).storage == [0, 0, 5])
    }
}
