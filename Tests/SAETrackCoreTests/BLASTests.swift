import Testing
@testable import SAETrackCore

/// Every BLAS wrapper against a naive Double loop on odd shapes, every transpose combination,
/// non-trivial alpha/beta, leading dimensions larger than the width and non-unit strides.
@Suite("BLAS")
struct BLASTests {
    static let sizes = [1, 7, 33, 129]
    static let alpha: Float = 0.7, beta: Float = -1.3

    /// Naive reference: C = alpha·op(A)·op(B) + beta·C.
    private func naiveGemm(_ a: Matrix, _ ta: Bool, _ b: Matrix, _ tb: Bool, alpha: Float, beta: Float, _ c: Matrix) -> Matrix {
        let m = ta ? a.cols : a.rows, k = ta ? a.rows : a.cols, n = tb ? b.rows : b.cols
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = 0
                for p in 0..<k { s += Double(ta ? a[p, i] : a[i, p]) * Double(tb ? b[j, p] : b[p, j]) }
                out[i, j] = Float(Double(alpha) * s + Double(beta) * Double(c[i, j]))
            }
        }
        return out
    }

    private func maxDiff(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

    @Test("Matrix gemm matches a naive loop for odd shapes and every transpose combination")
    func gemmMatchesNaive() {
        var rng = SeededRandom(seed: 1)
        for (m, n, k) in [(1, 7, 33), (7, 33, 1), (33, 129, 7), (129, 1, 33), (7, 7, 129)] {
            for ta in [false, true] {
                for tb in [false, true] {
                    let a = ta ? rng.matrix(k, m) : rng.matrix(m, k)
                    let b = tb ? rng.matrix(n, k) : rng.matrix(k, n)
                    let c0 = rng.matrix(m, n)
                    var c = c0
                    BLAS.gemm(a, transposeA: ta, b, transposeB: tb, alpha: Self.alpha, beta: Self.beta, into: &c)
                    let ref = naiveGemm(a, ta, b, tb, alpha: Self.alpha, beta: Self.beta, c0)
                    let err = maxDiff(c.storage, ref.storage)
                    #expect(err < 1e-4, "m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb) err=\(err)")
                }
            }
        }
        let a = rng.matrix(7, 33), b = rng.matrix(33, 1)
        #expect(maxDiff(BLAS.matmul(a, b).storage, naiveGemm(a, false, b, false, alpha: 1, beta: 0, Matrix(rows: 7, cols: 1)).storage) < 1e-4)
    }

    @Test("pointer gemm honours leading dimensions larger than the width and leaves the padding alone")
    func pointerGemmLeadingDimensions() {
        var rng = SeededRandom(seed: 2)
        for (m, n, k) in [(1, 1, 1), (7, 33, 129), (33, 7, 1), (129, 33, 7)] {
            for ta in [false, true] {
                for tb in [false, true] { checkPaddedGemm(m: m, n: n, k: k, ta: ta, tb: tb, rng: &rng) }
            }
        }
    }

    @Test("gemm split over 2 and 3 threads (by rows and by columns, ragged last block) matches the naive loop")
    func splitGemmMatchesNaive() {
        var rng = SeededRandom(seed: 5)
        // Each shape has m·n·k ≥ BLAS.parallelMinimumWork, so it is split: tall (rows), wide (columns).
        for (m, n, k) in [(257, 40, 129), (40, 333, 129), (130, 129, 70)] {
            #expect(m * n * k >= BLAS.parallelMinimumWork)
            for threads in [2, 3] {
                Threads.withCount(threads) {
                    for ta in [false, true] {
                        for tb in [false, true] { checkPaddedGemm(m: m, n: n, k: k, ta: ta, tb: tb, rng: &rng) }
                    }
                }
            }
        }
    }

    @Test("OpenBLAS itself stays at one thread whatever SAETrack's thread count (GEMMs are split by SAETrack)")
    func openBLASStaysSingleThreaded() {
        let x: [Float] = [3, 4]
        #expect(BLAS.nrm2(n: 2, x: x) == 5)
        #expect(Threads.blasThreads == 1)
        Threads.withCount(3) {
            #expect(Threads.count == 3 && Threads.blasThreads == 1)
        }
    }

    @Test("a parallel loop inside a parallel loop runs inline on the calling thread and covers every index")
    func nestedParallelLoopsRunInline() {
        Threads.withCount(2) { nestedLoops() }
    }

    private func nestedLoops() {
        #expect(!Parallel.isInsideLoop)
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 4 * 100)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        let inside = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 4)
        inside.initialize(repeating: false)
        defer { inside.deallocate() }
        Parallel.forEachPart(4) { outer in
            inside[outer] = Parallel.isInsideLoop
            Parallel.forEachChunk(100) { range in for i in range { counts[outer * 100 + i] += 1 } }
        }
        #expect(inside.allSatisfy { $0 })
        #expect(counts.allSatisfy { $0 == 1 })
        #expect(!Parallel.isInsideLoop)
    }

    /// C = alpha·op(A)·op(B) + beta·C through the pointer form with every leading dimension padded
    /// by 5, against the naive loop; the padding must be left untouched.
    private func checkPaddedGemm(m: Int, n: Int, k: Int, ta: Bool, tb: Bool, rng: inout SeededRandom) {
        let pad = 5, sentinel: Float = 12345
        let a = ta ? rng.matrix(k, m) : rng.matrix(m, k)
        let b = tb ? rng.matrix(n, k) : rng.matrix(k, n)
        let c0 = rng.matrix(m, n)
        // Embed each operand in a wider buffer: leading dimension = width + pad.
        func padded(_ x: Matrix) -> [Float] {
            var out = [Float](repeating: sentinel, count: x.rows * (x.cols + pad))
            for r in 0..<x.rows { for c in 0..<x.cols { out[r * (x.cols + pad) + c] = x[r, c] } }
            return out
        }
        let pa = padded(a), pb = padded(b)
        var pc = padded(c0)
        BLAS.gemm(ta ? .transposed : .none, tb ? .transposed : .none, m: m, n: n, k: k,
                  alpha: Self.alpha, a: pa, lda: a.cols + pad, b: pb, ldb: b.cols + pad,
                  beta: Self.beta, c: &pc, ldc: n + pad)
        let ref = naiveGemm(a, ta, b, tb, alpha: Self.alpha, beta: Self.beta, c0)
        var err: Float = 0
        var paddingIntact = true
        for r in 0..<m {
            for c in 0..<(n + pad) {
                let v = pc[r * (n + pad) + c]
                if c < n { err = max(err, abs(v - ref[r, c])) } else { paddingIntact = paddingIntact && v == sentinel }
            }
        }
        #expect(err < 1e-4, "m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb) threads=\(Threads.count) err=\(err)")
        #expect(paddingIntact, "m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb) threads=\(Threads.count)")
    }

    @Test("gemv matches a naive loop (both transposes, lda > n, strided x and y)")
    func gemvMatchesNaive() {
        var rng = SeededRandom(seed: 3)
        for m in Self.sizes {
            for n in Self.sizes {
                for trans in [false, true] {
                    let lda = n + 3, incX = 2, incY = 3
                    let a = rng.floats(m * lda)
                    let (xLen, yLen) = trans ? (m, n) : (n, m)
                    let x = rng.floats(xLen * incX)
                    let y0 = rng.floats(yLen * incY)
                    var y = y0
                    BLAS.gemv(trans ? .transposed : .none, m: m, n: n, alpha: Self.alpha, a: a, lda: lda,
                              x: x, incX: incX, beta: Self.beta, y: &y, incY: incY)
                    var err: Float = 0
                    for i in 0..<yLen {
                        var s: Double = 0
                        for j in 0..<xLen {
                            let aij = trans ? a[j * lda + i] : a[i * lda + j]
                            s += Double(aij) * Double(x[j * incX])
                        }
                        let ref = Float(Double(Self.alpha) * s + Double(Self.beta) * Double(y0[i * incY]))
                        err = max(err, abs(y[i * incY] - ref))
                    }
                    // Elements between strides are untouched.
                    let untouched = (0..<y.count).allSatisfy { $0 % incY == 0 || y[$0] == y0[$0] }
                    #expect(err < 1e-4, "m=\(m) n=\(n) trans=\(trans) err=\(err)")
                    #expect(untouched)
                }
            }
        }
    }

    @Test("axpy, dot, nrm2 and scal match naive loops (unit and non-unit strides)")
    func level1MatchesNaive() {
        var rng = SeededRandom(seed: 4)
        for n in Self.sizes {
            for inc in [1, 2] {
                let x = rng.floats(n * inc, -2, 2)
                let y0 = rng.floats(n * inc, -2, 2)

                var y = y0
                BLAS.axpy(n: n, alpha: Self.alpha, x: x, incX: inc, y: &y, incY: inc)
                let axpyErr = (0..<n).map { abs(y[$0 * inc] - (Self.alpha * x[$0 * inc] + y0[$0 * inc])) }.max()!
                #expect(axpyErr < 1e-6, "axpy n=\(n) inc=\(inc)")

                let dot = BLAS.dot(n: n, x: x, incX: inc, y: y0, incY: inc)
                let dotRef = (0..<n).reduce(0.0) { $0 + Double(x[$1 * inc]) * Double(y0[$1 * inc]) }
                #expect(abs(Double(dot) - dotRef) < 1e-4 * max(1, abs(dotRef)), "dot n=\(n) inc=\(inc)")

                let norm = BLAS.nrm2(n: n, x: x, incX: inc)
                let normRef = (0..<n).reduce(0.0) { $0 + Double(x[$1 * inc]) * Double(x[$1 * inc]) }.squareRoot()
                #expect(abs(Double(norm) - normRef) < 1e-5 * max(1, normRef), "nrm2 n=\(n) inc=\(inc)")

                var s = x
                BLAS.scal(n: n, alpha: -Self.beta, x: &s, incX: inc)
                for i in 0..<(n * inc) {
                    let expected = i % inc == 0 ? -Self.beta * x[i] : x[i]
                    #expect(abs(s[i] - expected) < 1e-6, "scal n=\(n) inc=\(inc) i=\(i)")
                }
            }
        }
    }
}
