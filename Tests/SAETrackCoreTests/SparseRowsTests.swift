import Testing
import SAETrackCore

/// `SparseRows` and its CSC view against the dense matrices they stand for.
struct SparseRowsTests {
    /// A (rows, cols) normal matrix with the entries below 0.85 zeroed (about a fifth survive), except
    /// that row 0 keeps none and row 1 keeps all.
    func sparseMatrix(rows: Int, cols: Int, seed: UInt64) -> Matrix {
        var rng = SeededRandom(seed: seed)
        var f = Matrix(rows: rows, cols: cols)
        f.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        for r in 0..<rows where r != 1 {
            for c in 0..<cols where r == 0 || f[r, c] < 0.85 { f[r, c] = 0 }
        }
        return f
    }

    @Test("CSR round-trips a dense matrix; CSC lists every entry once, rows increasing")
    func csrRoundTrip() {
        let f = sparseMatrix(rows: 13, cols: 29, seed: 1)
        let codes = SparseRows(dense: f)
        #expect(codes.dense() == f)
        #expect(codes.rows == 13 && codes.cols == 29 && codes.nnz == f.storage.filter { $0 != 0 }.count)
        for r in 0..<codes.rows {
            let ids = codes.index[codes.rowStart[r]..<codes.rowStart[r + 1]]
            #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        }
        let cols = codes.columns()
        #expect(cols.colStart.count == 30 && cols.colStart.last == codes.nnz)
        var seen = [Bool](repeating: false, count: codes.nnz)
        for i in 0..<29 {
            for k in cols.colStart[i]..<cols.colStart[i + 1] {
                let e = Int(cols.entry[k])
                #expect(codes.index[e] == Int32(i))
                #expect(codes.value[e] == f[Int(cols.row[k]), i])
                if k > cols.colStart[i] { #expect(cols.row[k] > cols.row[k - 1]) }
                seen[e] = true
            }
        }
        #expect(seen.allSatisfy { $0 })
    }

    @Test("stored zeros stay until droppingZeros, which gives the dense matrix's non-zeros")
    func droppingZeros() {
        // Row 0 stores a 0 at column 1 and a −0 at column 3; row 1 stores only zeros; row 2 none.
        let rows = SparseRows(rows: 3, cols: 4, rowStart: [0, 3, 5, 5], index: [0, 1, 3, 0, 2],
                              value: [1.5, 0, -0.0, 0, 0])
        #expect(rows.nnz == 5 && rows.meanRowCount == 5.0 / 3)
        let kept = rows.droppingZeros()
        #expect(kept == SparseRows(rows: 3, cols: 4, rowStart: [0, 1, 1, 1], index: [0], value: [1.5]))
        #expect(kept == SparseRows(dense: rows.dense()))
        #expect(kept.droppingZeros() == kept)
        let full = SparseRows(dense: sparseMatrix(rows: 9, cols: 7, seed: 2))
        #expect(full.droppingZeros() == full)
    }

    @Test("append stacks rows as stored; gathering picks rows in order, repeats included")
    func appendAndGather() {
        let a = sparseMatrix(rows: 5, cols: 11, seed: 3), b = sparseMatrix(rows: 6, cols: 11, seed: 4)
        var stacked = SparseRows(cols: 11)
        #expect(stacked.rows == 0 && stacked.meanRowCount == 0)
        stacked.append(SparseRows(dense: a))
        stacked.append(SparseRows(rows: 1, cols: 11, rowStart: [0, 1], index: [4], value: [0]))   // a stored zero
        stacked.append(SparseRows(dense: b))
        #expect(stacked.rows == 12 && stacked.nnz == SparseRows(dense: a).nnz + 1 + SparseRows(dense: b).nnz)
        let dense = stacked.dense()
        for r in 0..<5 { #expect(dense.rows(r..<(r + 1)) == a.rows(r..<(r + 1))) }
        for r in 0..<6 { #expect(dense.rows((r + 6)..<(r + 7)) == b.rows(r..<(r + 1))) }
        #expect(stacked.index[stacked.rowStart[5]] == 4 && stacked.value[stacked.rowStart[5]] == 0)

        let picked = stacked.gathering([7, 0, 7, 5])
        #expect(picked.rows == 4 && picked.dense() == dense.rows(at: [7, 0, 7, 5]))
        #expect(picked.nnz == [7, 0, 7, 5].map { stacked.rowStart[$0 + 1] - stacked.rowStart[$0] }.reduce(0, +))
        #expect(stacked.gathering([]) == SparseRows(cols: 11))
    }

    @Test("inconsistent CSR arrays stop with a precondition failure")
    func inconsistentArrays() async {
        await #expect(processExitsWith: .failure) {
            _ = SparseRows(rows: 2, cols: 3, rowStart: [0, 1], index: [0], value: [1])
        }
        await #expect(processExitsWith: .failure) {
            _ = SparseRows(rows: 1, cols: 3, rowStart: [0, 2], index: [0, 1], value: [1])
        }
    }

    @Test("appending rows of another width stops with a precondition failure")
    func appendWidthMismatch() async {
        await #expect(processExitsWith: .failure) {
            var rows = SparseRows(cols: 3)
            rows.append(SparseRows(cols: 4))
        }
    }
}
