import SAETrackCore

/// The nonzero feature activations of a batch in compressed-row form (CSR).
///
/// Row b's entries are `index[rowStart[b]..<rowStart[b+1]]` (feature ids, increasing) with their
/// activations in `value`. With L0 ≪ d_sae this is all the decoder forward and every weight
/// gradient need (`SparseDecoder`, `SparseBackward`).
public struct SparseActivations: Sendable, Equatable {
    /// Batch rows B.
    public var rows: Int
    /// Dictionary size d_sae.
    public var cols: Int
    /// (B + 1) offsets into `index` / `value`.
    public var rowStart: [Int]
    /// (nnz) feature ids.
    public var index: [Int32]
    /// (nnz) activations.
    public var value: [Float]

    /// Number of stored entries.
    public var nnz: Int { index.count }

    public init(rows: Int, cols: Int, rowStart: [Int], index: [Int32], value: [Float]) {
        precondition(rowStart.count == rows + 1 && index.count == value.count && rowStart.last == index.count,
                     "SparseActivations: inconsistent CSR arrays")
        self.rows = rows; self.cols = cols; self.rowStart = rowStart; self.index = index; self.value = value
    }

    /// The nonzero entries of a dense (B, d_sae) matrix.
    public init(dense: Matrix) {
        var starts = [0]
        var idx: [Int32] = []
        var val: [Float] = []
        dense.withUnsafeBufferPointer { p in
            for r in 0..<dense.rows {
                for c in 0..<dense.cols where p[r * dense.cols + c] != 0 {
                    idx.append(Int32(c)); val.append(p[r * dense.cols + c])
                }
                starts.append(idx.count)
            }
        }
        self.init(rows: dense.rows, cols: dense.cols, rowStart: starts, index: idx, value: val)
    }

    /// The dense (B, d_sae) matrix.
    public func dense() -> Matrix {
        var out = Matrix(rows: rows, cols: cols)
        out.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows {
                for e in rowStart[r]..<rowStart[r + 1] { p[r * cols + Int(index[e])] = value[e] }
            }
        }
        return out
    }

    /// Mean number of entries per row (L0 when the codes are the ReLU/TopK activations).
    public var meanRowCount: Double { rows > 0 ? Double(nnz) / Double(rows) : 0 }

    /// The same entries grouped by feature (CSC), by a stable counting sort: within a feature the
    /// entries keep increasing row order, so feature-major reductions are deterministic.
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

/// A feature-major (CSC) view of ``SparseActivations``: feature i's entries are positions
/// `colStart[i]..<colStart[i+1]`, each naming its batch `row` and its `entry` in the CSR arrays.
public struct SparseColumns: Sendable {
    /// (d_sae + 1)
    public var colStart: [Int]
    /// (nnz) batch row of each entry
    public var row: [Int32]
    /// (nnz) position of each entry in the CSR `index` / `value` arrays
    public var entry: [Int32]

    /// Number of features with at least one entry.
    public var activeFeatureCount: Int {
        var n = 0
        for i in 0..<(colStart.count - 1) where colStart[i + 1] > colStart[i] { n += 1 }
        return n
    }
}
