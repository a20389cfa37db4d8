import Testing
@testable import SAETrackCore

/// Naive reference: C = alpha·op(A)·op(B) + beta·C.
private func naiveGemm(_ a: Matrix, _ ta: Bool, _ b: Matrix, _ tb: Bool, alpha: Float, beta: Float, _ c: Matrix) -> Matrix {
    let m = ta ? a.cols : a.rows, k = ta ? a.rows : a.cols, n = tb ? b.rows : b.cols
    var out = c
    for i in 0..<m {
        for j in 0..<n {
            var s: Double = 0
            for p in 0..<k { s += Double(ta ? a[p, i] : a[i, p]) * Double(tb ? b[j, p] : b[p, j]) }
            out[i, j] = alpha * Float(s) + beta * c[i, j]
        }
    }
    return out
}

private func randomMatrix(_ r: Int, _ c: Int, _ rng: inout SeededRandom) -> Matrix {
    var m = Matrix(rows: r, cols: c)
    m.withUnsafeMutableBufferPointer { rng.fillUniform($0, -1, 1) }
    return m
}

@Test("gemm matches a naive loop for odd shapes and every transpose combination")
func gemmMatchesNaive() {
    var rng = SeededRandom(seed: 1)
    for (m, n, k) in [(1, 7, 33), (7, 33, 1), (33, 129, 7), (129, 1, 33)] {
        for ta in [false, true] {
            for tb in [false, true] {
                let a = ta ? randomMatrix(k, m, &rng) : randomMatrix(m, k, &rng)
                let b = tb ? randomMatrix(n, k, &rng) : randomMatrix(k, n, &rng)
                let c0 = randomMatrix(m, n, &rng)
                var c = c0
                BLAS.gemm(a, transposeA: ta, b, transposeB: tb, alpha: 0.7, beta: -1.3, into: &c)
                let ref = naiveGemm(a, ta, b, tb, alpha: 0.7, beta: -1.3, c0)
                let err = zip(c.storage, ref.storage).map { abs($0 - $1) }.max() ?? 0
                #expect(err < 1e-4, "m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb) err=\(err)")
            }
        }
    }
}
