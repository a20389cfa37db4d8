import Testing
@testable import SAETrackCore

@Suite("LAPACK")
struct LAPACKTests {
    /// Max |a − b| over all elements.
    private func maxDiff(_ a: Matrix, _ b: Matrix) -> Float {
        zip(a.storage, b.storage).map { abs($0 - $1) }.max() ?? 0
    }

    @Test("symmetric eigendecomposition reconstructs its input, eigenvalues ascending, V orthonormal",
          arguments: [1, 7, 33])
    func eigenReconstructs(_ n: Int) throws {
        var rng = SeededRandom(seed: 61)
        let b = rng.matrix(n, n)
        var a = BLAS.matmul(b, b, transposeB: true)   // symmetric positive semi-definite
        for i in 0..<n { a[i, i] -= 0.5 }            // and indefinite
        let (w, v) = try LAPACK.symmetricEigen(a)
        #expect(zip(w, w.dropFirst()).allSatisfy { $0 <= $1 })
        var vw = v
        for r in 0..<n { for c in 0..<n { vw[r, c] *= w[c] } }
        let back = BLAS.matmul(vw, v, transposeB: true)   // V · diag(w) · Vᵀ
        #expect(maxDiff(back, a) < 1e-4 * max(1, w.map(abs).max()!))
        let vtv = BLAS.matmul(v, transposeA: true, v)
        var identity = Matrix(rows: n, cols: n)
        for i in 0..<n { identity[i, i] = 1 }
        #expect(maxDiff(vtv, identity) < 1e-4)
    }

    @Test("thin SVD reconstructs its input, singular values descending", arguments: [(7, 33), (33, 7), (1, 7), (17, 17)])
    func svdReconstructs(_ shape: (Int, Int)) throws {
        var rng = SeededRandom(seed: 62)
        let a = rng.matrix(shape.0, shape.1)
        let (u, s, vt) = try LAPACK.svd(a)
        let p = min(shape.0, shape.1)
        #expect(u.rows == shape.0 && u.cols == p && vt.rows == p && vt.cols == shape.1 && s.count == p)
        #expect(zip(s, s.dropFirst()).allSatisfy { $0 >= $1 })
        var us = u
        for r in 0..<u.rows { for c in 0..<p { us[r, c] *= s[c] } }
        #expect(maxDiff(BLAS.matmul(us, vt), a) < 1e-4)
    }

    @Test("NaN input surfaces as a thrown error")
    func nanThrows() {
        var a = Matrix(rows: 3, cols: 3, repeating: 1)
        a[1, 2] = .nan
        #expect(throws: LAPACKError.nonFiniteInput(routine: "LAPACKE_ssyevd")) { try LAPACK.symmetricEigen(a) }
        #expect(throws: LAPACKError.nonFiniteInput(routine: "LAPACKE_sgesdd")) { try LAPACK.svd(a) }
    }

    @Test("an illegal argument (lda < n) comes back from LAPACKE as a thrown invalidArgument")
    func invalidArgumentThrows() {
        var a = [Float](repeating: 1, count: 16)
        var w = [Float](repeating: 0, count: 4)
        #expect(throws: LAPACKError.invalidArgument(routine: "LAPACKE_ssyevd", argument: 6)) {
            try LAPACK.symmetricEigen(n: 4, a: &a, lda: 2, values: &w)
        }
        #expect(throws: LAPACKError.self) { try LAPACK.symmetricEigen(Matrix(rows: 2, cols: 3)) }
    }
}
