import COpenBLAS

/// Thin wrappers over LAPACKE (row-major), with LAPACK's `info` turned into ``LAPACKError``.
///
/// Inputs are checked for NaN/∞ before the call (``LAPACKError/nonFiniteInput(routine:)``),
/// so the result never depends on LAPACKE's optional NaN check.
public enum LAPACK {
    // MARK: Symmetric eigendecomposition (ssyevd)

    /// Eigendecomposition of a symmetric (n, n) matrix, in place: `A = V · diag(w) · Vᵀ`.
    ///
    /// Only the upper triangle of `a` is read. On return `a` holds V, **column j being the
    /// unit eigenvector for `values[j]`**, and `values` (n) holds the eigenvalues in ascending order.
    /// - Parameters:
    ///   - a: (n, lda) row-major, `lda ≥ n`; overwritten with the eigenvectors.
    ///   - values: (n) written.
    /// - Throws: ``LAPACKError`` for non-finite input, an illegal argument or non-convergence.
    public static func symmetricEigen(
        n: Int, a: UnsafeMutablePointer<Float>, lda: Int, values: UnsafeMutablePointer<Float>
    ) throws {
        let routine = "LAPACKE_ssyevd"
        if n == 0 { return }
        if lda >= n {
            for r in 0..<n where !(0..<n).allSatisfy({ a[r * lda + $0].isFinite }) {
                throw LAPACKError.nonFiniteInput(routine: routine)
            }
        }
        Threads.configureBLAS()
        let info = LAPACKE_ssyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")),
                                  Int32(n), a, Int32(lda), values)
        try LAPACKError.check(info, routine: routine)
    }

    /// Eigendecomposition of a symmetric matrix: eigenvalues ascending, and V (n, n) whose
    /// column j is the unit eigenvector for `values[j]`, so `a = V · diag(values) · Vᵀ`.
    public static func symmetricEigen(_ a: Matrix) throws -> (values: [Float], vectors: Matrix) {
        guard a.rows == a.cols else {
            throw LAPACKError.invalidShape(routine: "LAPACKE_ssyevd", rows: a.rows, cols: a.cols, expected: "a square matrix")
        }
        let n = a.rows
        var vectors = a
        var values = [Float](repeating: 0, count: n)
        if n == 0 { return (values, vectors) }
        try vectors.withUnsafeMutableBufferPointer { pv in
            try symmetricEigen(n: n, a: pv.baseAddress!, lda: n, values: &values)
        }
        return (values, vectors)
    }

    // MARK: Singular value decomposition (sgesdd)

    /// Thin SVD by divide and conquer: `A = U · diag(s) · Vᵀ` for an (m, n) matrix, p = min(m, n).
    ///
    /// - Parameters:
    ///   - a: (m, lda) row-major, `lda ≥ n`; destroyed.
    ///   - s: (p) singular values, written in descending order.
    ///   - u: (m, ldu) with `ldu ≥ p`: the left singular vectors, as columns.
    ///   - vt: (p, ldvt) with `ldvt ≥ n`: the right singular vectors, as rows.
    /// - Throws: ``LAPACKError`` for non-finite input, an illegal argument or non-convergence.
    public static func svd(
        m: Int, n: Int, a: UnsafeMutablePointer<Float>, lda: Int, s: UnsafeMutablePointer<Float>,
        u: UnsafeMutablePointer<Float>, ldu: Int, vt: UnsafeMutablePointer<Float>, ldvt: Int
    ) throws {
        let routine = "LAPACKE_sgesdd"
        if m == 0 || n == 0 { return }
        if lda >= n {
            for r in 0..<m where !(0..<n).allSatisfy({ a[r * lda + $0].isFinite }) {
                throw LAPACKError.nonFiniteInput(routine: routine)
            }
        }
        Threads.configureBLAS()
        let info = LAPACKE_sgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), Int32(m), Int32(n), a, Int32(lda),
                                  s, u, Int32(ldu), vt, Int32(ldvt))
        try LAPACKError.check(info, routine: routine)
    }

    /// Thin SVD of an (m, n) matrix: U (m, p), s (p) descending, Vᵀ (p, n) with p = min(m, n),
    /// so `a = U · diag(s) · Vᵀ`.
    public static func svd(_ a: Matrix) throws -> (u: Matrix, s: [Float], vt: Matrix) {
        let (m, n) = (a.rows, a.cols)
        let p = min(m, n)
        var work = a
        var u = Matrix(rows: m, cols: p), vt = Matrix(rows: p, cols: n)
        var s = [Float](repeating: 0, count: p)
        if p == 0 { return (u, s, vt) }
        try work.withUnsafeMutableBufferPointer { pa in
            try u.withUnsafeMutableBufferPointer { pu in
                try vt.withUnsafeMutableBufferPointer { pvt in
                    try svd(m: m, n: n, a: pa.baseAddress!, lda: n, s: &s, u: pu.baseAddress!, ldu: p,
                            vt: pvt.baseAddress!, ldvt: n)
                }
            }
        }
        return (u, s, vt)
    }
}
