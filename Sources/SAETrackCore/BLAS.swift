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
    ///
    /// A product of at least ``parallelMinimumWork`` multiply-adds is split into ``Threads/count``
    /// blocks of C's rows (or of its columns, when C is wider than tall), each one single-threaded
    /// OpenBLAS call on ``Parallel``'s threads; inside a parallel loop it is one call. Every element
    /// of C is still one dot product in OpenBLAS's order, so the split never changes a result's
    /// accumulation order along k.
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        func call(_ m: Int, _ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
            cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
                        alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
        let threads = Threads.count
        let splitRows = m >= n
        let extent = splitRows ? m : n
        // Blocks are whole multiples of 16 rows/columns (the widest OpenBLAS sgemm micro-tile).
        let block = ((extent + threads - 1) / threads + 15) / 16 * 16
        let parts = (extent + block - 1) / block
        if threads <= 1 || parts <= 1 || m * n * max(k, 1) < parallelMinimumWork || Parallel.isInsideLoop {
            call(m, n, a, b, c)
            return
        }
        Parallel.forEachPart(parts) { p in
            let lo = p * block
            let len = min(extent, lo + block) - lo
            if splitRows {      // rows lo..<lo+len of op(A) and of C
                call(len, n, transA == .none ? a + lo * lda : a + lo, b, c + lo * ldc)
            } else {            // columns lo..<lo+len of op(B) and of C
                call(m, len, a, transB == .none ? b + lo : b + lo * ldb, c + lo)
            }
        }
    }

    /// Smallest m·n·k that ``gemm(_:_:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)`` splits over threads
    /// (below it, waking a second thread costs more than it saves).
    public static let parallelMinimumWork = 1 << 20

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
        Threads.configureBLAS()
        cblas_sgemv(CblasRowMajor, trans.cblas, Int32(m), Int32(n), alpha, a, Int32(lda),
                    x, Int32(incX), beta, y, Int32(incY))
    }

    /// y ← alpha · x + y over `n` elements.
    public static func axpy(n: Int, alpha: Float, x: UnsafePointer<Float>, incX: Int = 1,
                            y: UnsafeMutablePointer<Float>, incY: Int = 1) {
        Threads.configureBLAS()
        cblas_saxpy(Int32(n), alpha, x, Int32(incX), y, Int32(incY))
    }

    /// Σ x[i]·y[i] over `n` elements.
    public static func dot(n: Int, x: UnsafePointer<Float>, incX: Int = 1, y: UnsafePointer<Float>, incY: Int = 1) -> Float {
        Threads.configureBLAS()
        return cblas_sdot(Int32(n), x, Int32(incX), y, Int32(incY))
    }

    /// Euclidean norm of `n` elements.
    public static func nrm2(n: Int, x: UnsafePointer<Float>, incX: Int = 1) -> Float {
        Threads.configureBLAS()
        return cblas_snrm2(Int32(n), x, Int32(incX))
    }

    /// x ← alpha · x over `n` elements.
    public static func scal(n: Int, alpha: Float, x: UnsafeMutablePointer<Float>, incX: Int = 1) {
        Threads.configureBLAS()
        cblas_sscal(Int32(n), alpha, x, Int32(incX))
    }
}
