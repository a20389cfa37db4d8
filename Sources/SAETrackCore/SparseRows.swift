/// A (rows, cols) matrix in compressed sparse row form (CSR): SAE codes, and the sparse rows the SAE's
/// training kernels pass between them (AuxK selections, JumpReLU windows, pre-activation gradients).
///
/// ```
/// row r:  index[rowStart[r] ..< rowStart[r+1]]   column ids, increasing
///         value[rowStart[r] ..< rowStart[r+1]]   their values
/// ```
///
/// The stored entries are the ones it was given, zeros included: a position a kernel selected keeps its
/// entry even when its value is 0. ``init(dense:)`` stores only the non-zeros, and ``droppingZeros()``
/// gives the same rows without their zero entries. ``columns()`` is the column-major (CSC) view.
public struct SparseRows: Sendable, Equatable {
    /// Number of columns (for SAE codes, the dictionary size d_sae).
    public private(set) var cols: Int
    /// (rows + 1) offsets into ``index`` / ``value``; row r's entries are `rowStart[r] ..< rowStart[r+1]`.
    public private(set) var rowStart: [Int]
    /// (nnz) column id of each entry, increasing within a row.
    public private(set) var index: [Int32]
    /// (nnz) value of each entry. Rewriting values keeps the structure valid.
    public var value: [Float]

    /// Number of rows.
    public var rows: Int { rowStart.count - 1 }
    /// Number of stored entries.
    public var nnz: Int { index.count }
    /// Mean number of stored entries per row (L0 for SAE codes); 0 without rows.
    public var meanRowCount: Double { rows > 0 ? Double(nnz) / Double(rows) : 0 }

    /// Rows from their CSR arrays.
    /// - Precondition: `rowStart` has `rows + 1` offsets from 0 to `index.count`, and `index` and `value`
    ///   have the same length. (Column ids are the caller's to keep increasing and below `cols`.)
    public init(rows: Int, cols: Int, rowStart: [Int], index: [Int32], value: [Float]) {
        precondition(rowStart.count == rows + 1 && rowStart.first == 0 && rowStart.last == index.count
                        && index.count == value.count,
                     "SparseRows: inconsistent CSR arrays (\(rows) rows, \(rowStart.count) offsets, \(index.count) ids, \(value.count) values)")
        self.cols = cols; self.rowStart = rowStart; self.index = index; self.value = value
    }

    /// No rows, `cols` columns; ``append(_:)`` adds rows.
    public init(cols: Int) {
        self.cols = cols
        rowStart = [0]
        index = []
        value = []
    }

    /// The non-zero entries of a dense matrix (rows, cols).
    public init(dense: Matrix) {
        self.init(cols: dense.cols)
        let (rows, cols) = (dense.rows, dense.cols)
        rowStart.reserveCapacity(rows + 1)
        dense.withUnsafeBufferPointer { p in
            for r in 0..<rows {
                let row = p.baseAddress! + r * cols
                for c in 0..<cols where row[c] != 0 {
                    index.append(Int32(c)); value.append(row[c])
                }
                rowStart.append(index.count)
            }
        }
    }

    /// The dense matrix (rows, cols), zero where nothing is stored.
    public func dense() -> Matrix {
        var out = Matrix(rows: rows, cols: cols)
        out.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows {
                for e in rowStart[r]..<rowStart[r + 1] { p[r * cols + Int(index[e])] = value[e] }
            }
        }
        return out
    }

    /// The same rows without their zero entries (unchanged, and not copied, when none is zero).
    public func droppingZeros() -> SparseRows {
        guard value.contains(0) else { return self }
        var out = SparseRows(cols: cols)
        out.rowStart.reserveCapacity(rowStart.count)
        for r in 0..<rows {
            for e in rowStart[r]..<rowStart[r + 1] where value[e] != 0 {
                out.index.append(index[e]); out.value.append(value[e])
            }
            out.rowStart.append(out.index.count)
        }
        return out
    }

    /// Appends the rows of `other` below these, entries as stored.
    /// - Precondition: `other.cols == cols`.
    public mutating func append(_ other: SparseRows) {
        precondition(other.cols == cols, "SparseRows.append: \(other.cols) columns, these rows have \(cols)")
        let base = nnz
        index.append(contentsOf: other.index)
        value.append(contentsOf: other.value)
        rowStart.append(contentsOf: other.rowStart.dropFirst().lazy.map { base + $0 })
    }

    /// The rows listed in `rowIDs`, in that order (repeats allowed).
    public func gathering(_ rowIDs: [Int]) -> SparseRows {
        var out = SparseRows(cols: cols)
        out.rowStart.reserveCapacity(rowIDs.count + 1)
        for r in rowIDs {
            let range = rowStart[r]..<rowStart[r + 1]
            out.index.append(contentsOf: index[range])
            out.value.append(contentsOf: value[range])
            out.rowStart.append(out.index.count)
        }
        return out
    }
}
