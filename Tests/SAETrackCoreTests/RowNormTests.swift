import Testing
@testable import SAETrackCore

@Suite("RowNorm")
struct RowNormTests {
    @Test("norms match a Double loop; normalised rows have unit norm")
    func forward() {
        var rng = SeededRandom(seed: 41)
        let x = rng.matrix(7, 129, -3, 3)
        let n = RowNorm.norms(x)
        let (y, n2) = RowNorm.normalized(x)
        #expect(n == n2)
        for r in 0..<x.rows {
            let ref = x.row(r).map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
            #expect(abs(Double(n[r]) - ref) < 1e-5 * ref)
            let unit = y.row(r).map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
            #expect(abs(unit - 1) < 1e-5)
        }
        var z = x
        RowNorm.normalizeRows(&z)
        #expect(z == y)
    }

    @Test("norms backward matches central finite differences")
    func normsBackward() {
        var rng = SeededRandom(seed: 42)
        let x = rng.matrix(5, 7)
        let w = rng.floats(5)
        let dx = RowNorm.normsBackward(x: x, norms: RowNorm.norms(x), dNorms: w)
        let numeric = FiniteDifference.gradient(
            of: { RowNorm.norms(Matrix(rows: 5, cols: 7, storage: $0)) }, at: x.storage, weights: w)
        #expect(FiniteDifference.maxRelativeError(dx.storage, numeric) < 1e-3)
    }

    @Test("normalise backward matches central finite differences, including the ε-clamped branch")
    func normalizeBackward() {
        var rng = SeededRandom(seed: 43)
        // Row 2 is scaled to norm ≈ 0.05, below ε = 0.2, so y = x / ε there.
        var x = rng.matrix(4, 7, -1, 1)
        let n0 = RowNorm.norms(x)[2]
        for c in 0..<7 { x[2, c] *= 0.05 / n0 }
        let eps: Float = 0.2
        let w = rng.floats(28)
        let (y, norms) = RowNorm.normalized(x, epsilon: eps)
        #expect(norms[2] < eps)
        let dx = RowNorm.normalizeBackward(y: y, norms: norms, dy: Matrix(rows: 4, cols: 7, storage: w), epsilon: eps)
        let numeric = FiniteDifference.gradient(
            of: { RowNorm.normalized(Matrix(rows: 4, cols: 7, storage: $0), epsilon: eps).y.storage },
            at: x.storage, weights: w, h: 1e-3)
        #expect(FiniteDifference.maxRelativeError(dx.storage, numeric) < 2e-3)
    }
}
