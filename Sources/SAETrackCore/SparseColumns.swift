/// The column-major (CSC) view of a ``SparseRows``: column c's entries are positions
/// `colStart[c] ..< colStart[c+1]`, each naming its `row` and its `entry` in the CSR arrays. For SAE
/// codes the columns are features, and the view serves the feature-major decoder and weight gradients.
public struct SparseColumns: Sendable {
    /// (cols + 1) offsets into ``row`` / ``entry``.
    public var colStart: [Int]
    /// (nnz) row of each entry, increasing within a column.
    public var row: [Int32]
    /// (nnz) position of each entry in the CSR ``SparseRows/index`` / ``SparseRows/value`` arrays.
    public var entry: [Int32]
}

extension SparseRows {
    /// The same entries grouped by column (CSC), by a stable counting sort: within a column the
    /// entries keep increasing row order, so column-major reductions are deterministic.
    public func columns() -> SparseColumns {
        var colStart = [Int](repeating: 0, count: cols + 1)
        for i in index { colStart[Int(i) + 1] += 1 }
        for c in 0..<cols { colStart[c + 1] += colStart[c] }
        var cursor = colStart
        var rowOf = [Int32](repeating: 0, count: nnz)
        var entry = [Int32](repeating: 0, count: nnz)
        rowStart.withUnsafeBufferPointer { rs in
            index.withUnsafeBufferPointer { ix in
                for r in 0..<rows {
                    for e in rs[r]..<rs[r + 1] {
                        let c = Int(ix[e])
                        rowOf[cursor[c]] = Int32(r)
                        entry[cursor[c]] = Int32(e)
                        cursor[c] += 1
                    }
                }
            }
        }
        return SparseColumns(colStart: colStart, row: rowOf, entry: entry)
    }
}
