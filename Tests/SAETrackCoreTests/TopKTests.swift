import Testing
@testable import SAETrackCore

@Suite("TopK")
struct TopKTests {
    /// Oracle: sort each row by (value descending, index ascending) and keep the first k.
    private func sortedTopK(_ row: [Float], _ k: Int) -> [(Float, Int32)] {
        row.enumerated()
            .sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
            .prefix(k).map { ($0.element, Int32($0.offset)) }
    }

    @Test("top-k matches a full sort, ties broken by the lower index", arguments: [1, 2, 7, 33, 129])
    func matchesSort(_ k: Int) {
        var rng = SeededRandom(seed: 51)
        let cols = 129
        // Small integers: many ties.
        let x = Matrix(rows: 9, cols: cols, storage: (0..<(9 * cols)).map { _ in Float(rng.int(below: 11)) - 5 })
        let (values, indices) = TopK.forward(x, k: k)
        #expect(values.rows == 9 && values.cols == k)
        for r in 0..<x.rows {
            let ref = sortedTopK(x.row(r), k)
            #expect(values.row(r) == ref.map { $0.0 }, "row \(r)")
            #expect(Array(indices[(r * k)..<((r + 1) * k)]) == ref.map { $0.1 }, "row \(r)")
        }
    }

    @Test("ties among equal values keep the lowest indices")
    func tieBreaking() {
        let (v, i) = TopK.forward(Matrix([[1, 3, 3, 2, 3, 3]]), k: 3)
        #expect(v.storage == [3, 3, 3])
        #expect(i == [1, 2, 4])
    }

    @Test("backward scatters into the selected columns and matches finite differences")
    func backward() {
        var rng = SeededRandom(seed: 52)
        let (rows, cols, k) = (4, 33, 5)
        // Distinct values 0.01 apart, so x ± h never changes the selection.
        let x = Matrix(rows: rows, cols: cols,
                       storage: (0..<rows).flatMap { _ in rng.permutation(cols).map { Float($0) * 0.01 - 0.1 } })
        let (_, idx) = TopK.forward(x, k: k)
        let w = rng.floats(rows * k)
        let dx = TopK.backward(dValues: Matrix(rows: rows, cols: k, storage: w), indices: idx, cols: cols)
        let numeric = FiniteDifference.gradient(
            of: { TopK.forward(Matrix(rows: rows, cols: cols, storage: $0), k: k).values.storage },
            at: x.storage, weights: w, h: 2e-3)
        #expect(FiniteDifference.maxRelativeError(dx.storage, numeric) < 1e-3)
        #expect(dx.storage.filter { $0 != 0 }.count == rows * k)
    }
}
