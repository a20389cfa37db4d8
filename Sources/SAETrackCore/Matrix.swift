/// A dense row-major matrix of `Float` with owned storage.
///
/// `Matrix` is a value type (copy-on-write through its backing array). Hot loops reach the
/// storage through ``withUnsafeBufferPointer(_:)`` / ``withUnsafeMutableBufferPointer(_:)``
/// and BLAS, never through the element subscript.
///
/// ## Shape checks
/// A shape that cannot be right (storage of the wrong size, an index or row range out of bounds,
/// a reshape to another size, mismatched operands in ``BLAS/gemm(_:transposeA:_:transposeB:alpha:beta:into:)``
/// and the kernels' `Matrix` forms) is a programmer error: it stops the process with a
/// `precondition` failure whose message names both shapes, e.g.
/// `BLAS.gemm: inner dimensions differ: op(A) is (2, 3), op(B) is (4, 2)`. Preconditions are
/// kept in release (`-O`) builds, so a wrong shape never reads or writes out of bounds.
/// Errors that depend on data read from disk are thrown by the loaders instead.
/// The pointer-based APIs (BLAS, kernels) check nothing: their callers own the shapes.
public struct Matrix: Equatable, Sendable {
    /// Number of rows.
    public private(set) var rows: Int
    /// Number of columns (the leading dimension of the storage).
    public private(set) var cols: Int
    /// Row-major elements, `rows * cols` of them.
    public var storage: [Float]

    /// A matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix: negative shape (\(rows), \(cols))")
        self.rows = rows
        self.cols = cols
        self.storage = [Float](repeating: value, count: rows * cols)
    }

    /// A matrix whose elements are left unset, for an output that a kernel or a `beta = 0` GEMM
    /// is about to overwrite completely: it skips zeroing a buffer that nobody reads.
    /// Reading an element before writing it gives an arbitrary value.
    public init(uninitializedRows rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0, "Matrix: negative shape (\(rows), \(cols))")
        self.rows = rows
        self.cols = cols
        self.storage = [Float](unsafeUninitializedCapacity: rows * cols) { _, count in count = rows * cols }
    }

    /// A matrix over existing row-major elements; `storage.count` must equal `rows * cols`.
    public init(rows: Int, cols: Int, storage: [Float]) {
        precondition(rows >= 0 && cols >= 0, "Matrix: negative shape (\(rows), \(cols))")
        precondition(
            storage.count == rows * cols,
            "Matrix: \(storage.count) elements cannot have shape (\(rows), \(cols))")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix from nested rows (tests and small literals only).
    public init(_ nested: [[Float]]) {
        let cols = nested.first?.count ?? 0
        precondition(nested.allSatisfy { $0.count == cols }, "Matrix: ragged rows")
        self.init(rows: nested.count, cols: cols, storage: nested.flatMap { $0 })
    }

    /// The shape as `(rows, cols)`.
    public var shape: (rows: Int, cols: Int) { (rows, cols) }

    /// Number of elements.
    public var count: Int { rows * cols }

    /// Element access with bounds checks. For tests and cold code.
    public subscript(row: Int, col: Int) -> Float {
        get {
            precondition(row >= 0 && row < rows && col >= 0 && col < cols,
                         "Matrix: index (\(row), \(col)) out of bounds for shape (\(rows), \(cols))")
            return storage[row * cols + col]
        }
        set {
            precondition(row >= 0 && row < rows && col >= 0 && col < cols,
                         "Matrix: index (\(row), \(col)) out of bounds for shape (\(rows), \(cols))")
            storage[row * cols + col] = newValue
        }
    }

    /// A copy of one row.
    public func row(_ r: Int) -> [Float] {
        precondition(r >= 0 && r < rows, "Matrix: row \(r) out of bounds for \(rows) rows")
        return Array(storage[(r * cols)..<((r + 1) * cols)])
    }

    /// A copy of the rows in `range` as a new matrix.
    public func rows(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows,
                     "Matrix: rows \(range) out of bounds for \(rows) rows")
        return Matrix(rows: range.count, cols: cols,
                      storage: Array(storage[(range.lowerBound * cols)..<(range.upperBound * cols)]))
    }

    /// A copy of the rows at `indices`, in that order (repeats allowed): (indices.count, cols).
    public func rows(at indices: [Int]) -> Matrix {
        var out = Matrix(uninitializedRows: indices.count, cols: cols)
        let d = cols
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for (i, r) in indices.enumerated() {
                    precondition(r >= 0 && r < rows, "Matrix: row \(r) out of bounds for \(rows) rows")
                    (dst.baseAddress! + i * d).update(from: src.baseAddress! + r * d, count: d)
                }
            }
        }
        return out
    }

    /// Calls `body` with a pointer to the rows in `range` (a view, no copy): `range.count * cols` floats.
    public func withRows<R>(_ range: Range<Int>, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows,
                     "Matrix: rows \(range) out of bounds for \(rows) rows")
        return try storage.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[(range.lowerBound * cols)..<(range.upperBound * cols)]))
        }
    }

    /// Calls `body` with a mutable pointer to the rows in `range` (a view, no copy).
    public mutating func withMutableRows<R>(
        _ range: Range<Int>, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows,
                     "Matrix: rows \(range) out of bounds for \(rows) rows")
        let c = cols
        return try storage.withUnsafeMutableBufferPointer { all in
            try body(UnsafeMutableBufferPointer(rebasing: all[(range.lowerBound * c)..<(range.upperBound * c)]))
        }
    }

    /// Calls `body` with a pointer to all elements.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with a mutable pointer to all elements.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }

    /// Reinterprets the same elements with another shape of equal size.
    public func reshaped(rows newRows: Int, cols newCols: Int) -> Matrix {
        precondition(newRows * newCols == count,
                     "Matrix: cannot reshape (\(rows), \(cols)) to (\(newRows), \(newCols))")
        return Matrix(rows: newRows, cols: newCols, storage: storage)
    }

    /// The transpose, as a new matrix.
    public func transposed() -> Matrix {
        var out = Matrix(rows: cols, cols: rows)
        let (r, c) = (rows, cols)
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for i in 0..<r {
                    for j in 0..<c { dst[j * r + i] = src[i * c + j] }
                }
            }
        }
        return out
    }
}

extension Matrix: CustomStringConvertible {
    public var description: String { "Matrix(\(rows)×\(cols))" }
}
