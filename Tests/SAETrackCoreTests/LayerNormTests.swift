import Testing
@testable import SAETrackCore

@Suite("LayerNorm")
struct LayerNormTests {
    @Test("forward matches the Double formula and saves mean and rstd")
    func forwardMatchesFormula() {
        var rng = SeededRandom(seed: 21)
        let (rows, cols) = (6, 33)
        let x = rng.matrix(rows, cols, -3, 5)
        let w = rng.floats(cols, 0.5, 1.5), b = rng.floats(cols)
        let (y, mean, rstd) = LayerNorm.forward(x, weight: w, bias: b, epsilon: 1e-5)
        for r in 0..<rows {
            let row = x.row(r).map(Double.init)
            let m = row.reduce(0, +) / Double(cols)
            let v = row.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(cols)
            let s = 1 / (v + 1e-5).squareRoot()
            #expect(abs(Double(mean[r]) - m) < 1e-5)
            #expect(abs(Double(rstd[r]) - s) < 1e-4 * s)
            for c in 0..<cols {
                let ref = (row[c] - m) * s * Double(w[c]) + Double(b[c])
                #expect(abs(Double(y[r, c]) - ref) < 1e-4)
            }
        }
    }

    @Test("backward dx, dweight, dbias match central finite differences")
    func backwardMatchesFiniteDifferences() {
        var rng = SeededRandom(seed: 22)
        let (rows, cols) = (5, 7)
        let x = rng.matrix(rows, cols, -2, 2)
        let w = rng.floats(cols, 0.5, 1.5), b = rng.floats(cols)
        let dyw = rng.floats(rows * cols)
        let (_, mean, rstd) = LayerNorm.forward(x, weight: w, bias: b)
        let (dx, dweight, dbias) = LayerNorm.backward(
            dy: Matrix(rows: rows, cols: cols, storage: dyw), x: x, weight: w, mean: mean, rstd: rstd)

        let numX = FiniteDifference.gradient(
            of: { LayerNorm.forward(Matrix(rows: rows, cols: cols, storage: $0), weight: w, bias: b).y.storage },
            at: x.storage, weights: dyw)
        let numW = FiniteDifference.gradient(
            of: { LayerNorm.forward(x, weight: $0, bias: b).y.storage }, at: w, weights: dyw)
        let numB = FiniteDifference.gradient(
            of: { LayerNorm.forward(x, weight: w, bias: $0).y.storage }, at: b, weights: dyw)
        #expect(FiniteDifference.maxRelativeError(dx.storage, numX) < 2e-3)
        #expect(FiniteDifference.maxRelativeError(dweight, numW) < 2e-3)
        #expect(FiniteDifference.maxRelativeError(dbias, numB) < 2e-3)
    }

    @Test("pointer backward accumulates into dweight and dbias, overwrites dx")
    func backwardAccumulates() {
        var rng = SeededRandom(seed: 23)
        let (rows, cols) = (4, 9)
        let x = rng.matrix(rows, cols), dy = rng.matrix(rows, cols)
        let w = rng.floats(cols), b = rng.floats(cols)
        let (_, mean, rstd) = LayerNorm.forward(x, weight: w, bias: b)
        let once = LayerNorm.backward(dy: dy, x: x, weight: w, mean: mean, rstd: rstd)
        var dx = [Float](repeating: 99, count: rows * cols)
        var dweight = [Float](repeating: 0, count: cols), dbias = [Float](repeating: 0, count: cols)
        for _ in 0..<2 {
            LayerNorm.backward(dy: dy.storage, x: x.storage, weight: w, mean: mean, rstd: rstd,
                               dx: &dx, dweight: &dweight, dbias: &dbias, rows: rows, cols: cols)
        }
        #expect(dx == once.dx.storage)
        for c in 0..<cols {
            #expect(abs(dweight[c] - 2 * once.dweight[c]) < 1e-5)
            #expect(abs(dbias[c] - 2 * once.dbias[c]) < 1e-5)
        }
    }

    @Test("results are bitwise identical on 1 and 2 threads")
    func threadCountIndependent() {
        var rng = SeededRandom(seed: 24)
        let (rows, cols) = (300, 64)
        let x = rng.matrix(rows, cols), dy = rng.matrix(rows, cols)
        let w = rng.floats(cols), b = rng.floats(cols)
        var results: [(Matrix, [Float], [Float])] = []
        for n in [1, 2] {
            Threads.withCount(n) {
                let (y, mean, rstd) = LayerNorm.forward(x, weight: w, bias: b)
                let g = LayerNorm.backward(dy: dy, x: x, weight: w, mean: mean, rstd: rstd)
                results.append((y, g.dweight, g.dx.storage))
            }
        }
        #expect(results[0].0 == results[1].0)
        #expect(results[0].1 == results[1].1)
        #expect(results[0].2 == results[1].2)
    }
}
