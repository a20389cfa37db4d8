import SAETrackCore

/// Cosine similarities between the rows of two matrices (decoder directions, activations).
///
/// Everywhere in SAETrackMetrics the cosine follows `torch.nn.functional.cosine_similarity`:
///
/// ```
/// cos(u, v) = u·v / (max(‖u‖₂, ε) · max(‖v‖₂, ε)),   ε = 1e-8
/// ```
///
/// so a zero vector has cosine 0 with everything. Full matrices are one sgemm of row-normalised
/// operands; at real sizes (d_sae 65536) the matrix is produced in row blocks of at most
/// `maxBlockElements` floats and handed to a closure, never materialised whole.
public enum CosineMatrix {
    /// The ε of the cosine denominator (torch's default).
    public static let epsilon: Float = 1e-8

    /// Default block budget: 16 Mi floats (64 MB) per block of the cosine matrix.
    public static let defaultBlockElements = 1 << 24

    /// Each row divided by max(‖row‖₂, ε).
    /// - Parameter m: (n, d)
    /// - Returns: (n, d) with unit (or zero) rows.
    public static func rowNormalized(_ m: Matrix) -> Matrix {
        var out = m
        let (n, d) = (m.rows, m.cols)
        out.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            Parallel.forEachChunk(n, minChunk: 256) { range in
                for r in range {
                    let row = base + r * d
                    let norm = BLAS.nrm2(n: d, x: row)
                    BLAS.scal(n: d, alpha: 1 / max(norm, epsilon), x: row)
                }
            }
        }
        return out
    }

    /// Index-aligned cosines: `out[i] = cos(a[i], b[i])`.
    /// - Parameters:
    ///   - a: (n, d)
    ///   - b: (n, d)
    /// - Returns: n cosines.
    public static func rowwise(_ a: Matrix, _ b: Matrix) -> [Float] {
        precondition(a.rows == b.rows && a.cols == b.cols,
                     "CosineMatrix.rowwise: shapes differ, \(a.shape) vs \(b.shape)")
        let (n, d) = (a.rows, a.cols)
        var out = [Float](repeating: 0, count: n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { po in
                    guard let ba = pa.baseAddress, let bb = pb.baseAddress else { return }
                    Parallel.forEachChunk(n, minChunk: 256) { range in
                        for i in range {
                            let (u, v) = (ba + i * d, bb + i * d)
                            let dot = BLAS.dot(n: d, x: u, y: v)
                            let nu = max(BLAS.nrm2(n: d, x: u), epsilon)
                            let nv = max(BLAS.nrm2(n: d, x: v), epsilon)
                            po[i] = dot / (nu * nv)
                        }
                    }
                }
            }
        }
        return out
    }

    /// The full cosine matrix `C[i, j] = cos(a[i], b[j])`. Use only when nA·nB is small;
    /// otherwise stream with ``forEachBlock(_:_:maxBlockElements:_:)``.
    /// - Parameters:
    ///   - a: (nA, d)
    ///   - b: (nB, d)
    /// - Returns: (nA, nB)
    public static func full(_ a: Matrix, _ b: Matrix) -> Matrix {
        var out = Matrix(rows: a.rows, cols: b.rows)
        forEachBlock(a, b, maxBlockElements: max(1, a.rows * b.rows)) { rows, block in
            out.withMutableRows(rows) { dst in
                for i in 0..<block.count { dst[i] = block[i] }
            }
        }
        return out
    }

    /// Streams the cosine matrix of `a` against `b` in row blocks.
    ///
    /// For each block of rows `r0..<r1` of `a`, computes `Â[r0..<r1] · B̂ᵀ` with one sgemm
    /// (Â, B̂ row-normalised) and calls `body(r0..<r1, block)` where `block` is
    /// `(r1 − r0, nB)` row-major. Blocks are visited in increasing row order; the buffer is
    /// reused, so `body` must not keep it.
    /// - Parameters:
    ///   - a: (nA, d)
    ///   - b: (nB, d)
    ///   - maxBlockElements: upper bound on (r1 − r0)·nB (at least one row is always used).
    public static func forEachBlock(
        _ a: Matrix, _ b: Matrix, maxBlockElements: Int = defaultBlockElements,
        _ body: (Range<Int>, UnsafeBufferPointer<Float>) -> Void
    ) {
        precondition(a.cols == b.cols, "CosineMatrix: row lengths differ, \(a.cols) vs \(b.cols)")
        let (nA, nB, d) = (a.rows, b.rows, a.cols)
        if nA == 0 || nB == 0 { return }
        let an = rowNormalized(a)                                   // (nA, d)
        let bn = rowNormalized(b)                                   // (nB, d)
        let blockRows = max(1, min(nA, maxBlockElements / nB))
        var block = [Float](repeating: 0, count: blockRows * nB)    // (blockRows, nB)
        an.withUnsafeBufferPointer { pa in
            bn.withUnsafeBufferPointer { pb in
                block.withUnsafeMutableBufferPointer { pc in
                    var r0 = 0
                    while r0 < nA {
                        let r1 = min(nA, r0 + blockRows)
                        BLAS.gemm(.none, .transposed, m: r1 - r0, n: nB, k: d,
                                  a: pa.baseAddress! + r0 * d, lda: max(d, 1),
                                  b: pb.baseAddress!, ldb: max(d, 1),
                                  c: pc.baseAddress!, ldc: nB)
                        body(r0..<r1, UnsafeBufferPointer(rebasing: pc[0..<((r1 - r0) * nB)]))
                        r0 = r1
                    }
                }
            }
        }
    }

    /// The `k` largest cosines of every row of `a` against the rows of `b`, streamed block by
    /// block (memory O(nA·k + block)). Ties keep the lower column index; NaN cosines are never
    /// candidates (a row with fewer than k finite cosines keeps index −1 and −∞ in its tail).
    /// Rows are sorted by decreasing cosine.
    /// - Parameters:
    ///   - a: (nA, d)
    ///   - b: (nB, d)
    ///   - k: candidates per row (clamped to nB)
    /// - Returns: `indices` and `cosines`, each (nA, k) row-major.
    public static func topK(
        _ a: Matrix, _ b: Matrix, k: Int, maxBlockElements: Int = defaultBlockElements
    ) -> (indices: [Int], cosines: [Float]) {
        let (nA, nB) = (a.rows, b.rows)
        let kk = max(0, min(k, nB))
        var indices = [Int](repeating: -1, count: nA * kk)
        var values = [Float](repeating: -.infinity, count: nA * kk)
        if kk == 0 { return (indices, values) }
        indices.withUnsafeMutableBufferPointer { pi in
            values.withUnsafeMutableBufferPointer { pv in
                forEachBlock(a, b, maxBlockElements: maxBlockElements) { rows, block in
                    Parallel.forEachChunk(rows.count, minChunk: 16) { local in
                        for lr in local {
                            let r = rows.lowerBound + lr
                            let row = block.baseAddress! + lr * nB
                            let ti = pi.baseAddress! + r * kk, tv = pv.baseAddress! + r * kk
                            // Sorted insertion into a descending list of length kk.
                            for j in 0..<nB {
                                let v = row[j]
                                if !(v > tv[kk - 1]) { continue }        // ties keep the lower index; NaN never enters
                                var p = kk - 1
                                while p > 0 && tv[p - 1] < v { tv[p] = tv[p - 1]; ti[p] = ti[p - 1]; p -= 1 }
                                tv[p] = v; ti[p] = j
                            }
                        }
                    }
                }
            }
        }
        return (indices, values)
    }
}
