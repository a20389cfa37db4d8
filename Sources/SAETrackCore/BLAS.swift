import COpenBLAS

/// Thin, documented wrappers over OpenBLAS's CBLAS (row-major everywhere).
///
/// The pointer forms mirror CBLAS one to one; the ``Matrix`` forms check shapes and read as
/// English at the call site: `BLAS.gemm(a, b, transposeB: true, into: &c)`.
public enum BLAS {
    /// Whether an operand is used as stored or transposed.
    public enum Transpose: Sendable {
        case none, transposed
        var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    }

    /// C ← alpha · op(A) · op(B) + beta · C, row-major, with explicit leading dimensions.
    /// - Parameters: op(A) is (m, k), op(B) is (k, n), C is (m, n).
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `c ← alpha · op(a) · op(b) + beta · c`, with shapes checked.
    public static func gemm(
        _ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
        alpha: Float = 1, beta: Float = 0, into c: inout Matrix
    ) {
        let (m, ka) = transposeA ? (a.cols, a.rows) : (a.rows, a.cols)
        let (kb, n) = transposeB ? (b.cols, b.rows) : (b.rows, b.cols)
        precondition(ka == kb, "BLAS.gemm: inner dimensions differ: op(A) is (\(m), \(ka)), op(B) is (\(kb), \(n))")
        precondition(c.rows == m && c.cols == n, "BLAS.gemm: C is (\(c.rows), \(c.cols)), expected (\(m), \(n))")
        let (lda, ldb, ldc) = (a.cols, b.cols, c.cols)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    gemm(transposeA ? .transposed : .none, transposeB ? .transposed : .none,
                         m: m, n: n, k: ka, alpha: alpha, a: pa.baseAddress!, lda: max(lda, 1),
                         b: pb.baseAddress!, ldb: max(ldb, 1), beta: beta, c: pc.baseAddress!, ldc: max(ldc, 1))
                }
            }
        }
    }

    /// Returns op(a) · op(b).
    public static func matmul(_ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false) -> Matrix {
        var c = Matrix(rows: transposeA ? a.cols : a.rows, cols: transposeB ? b.rows : b.cols)
        gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
        return c
    }

    /// y ← alpha · op(A) · x + beta · y, row-major A of shape (m, n) with leading dimension lda.
    public static func gemv(
        _ trans: Transpose, m: Int, n: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, incX: Int = 1, beta: Float = 0, y: UnsafeMutablePointer<Float>, incY: Int = 1
    ) {
        if m == 0 || n == 0 { return }
        cblas_sgemv(CblasRowMajor, trans.cblas, Int32(m), Int32(n), alpha, a, Int32(lda),
                    x, Int32(incX), beta, y, Int32(incY))
    }

    /// y ← alpha · x + y over `n` elements.
    public static func axpy(n: Int, alpha: Float, x: UnsafePointer<Float>, incX: Int = 1,
                            y: UnsafeMutablePointer<Float>, incY: Int = 1) {
        cblas_saxpy(Int32(n), alpha, x, Int32(incX), y, Int32(incY))
    }

    /// Σ x[i]·y[i] over `n` elements.
    public static func dot(n: Int, x: UnsafePointer<Float>, incX: Int = 1, y: UnsafePointer<Float>, incY: Int = 1) -> Float {
        cblas_sdot(Int32(n), x, Int32(incX), y, Int32(incY))
    }

    /// Euclidean norm of `n` elements.
    public static func nrm2(n: Int, x: UnsafePointer<Float>, incX: Int = 1) -> Float {
        cblas_snrm2(Int32(n), x, Int32(incX))
    }

    /// x ← alpha · x over `n` elements.
    public static func scal(n: Int, alpha: Float, x: UnsafeMutablePointer<Float>, incX: Int = 1) {
        cblas_sscal(Int32(n), alpha, x, Int32(incX))
    }
}
