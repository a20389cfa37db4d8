import SAETrackCore

/// The pairwise similarity used by a progress measure (Docs/Method.md §7.2).
public enum SimilarityKind: String, Codable, CaseIterable, Sendable {
    /// cos(u, v) = u·v / (max(‖u‖, ε)·max(‖v‖, ε)), ε = 1e-8 (a zero vector gives 0).
    case cosine
    /// WJ(u, v) = Σₖ min(uₖ, vₖ) / (Σₖ max(uₖ, vₖ) + 1e-8)  (for non-negative vectors).
    case weightedJaccard
    /// J(u, v) = |A ∩ B| / (|A ∪ B| + 1e-8),  A = {k : uₖ ≠ 0}, B = {k : vₖ ≠ 0}.
    case binaryJaccard
}

/// The similarity primitive of the progress measures (Docs/Method.md §7.2): the mean off-diagonal
/// similarity of a set of vectors,
///
/// ```
/// S(V) = 1/(n(n−1)) · Σ_{i≠j} sim(vᵢ, vⱼ)
/// ```
///
/// which equals the mean over unordered pairs because every `sim` is symmetric. Sets with fewer
/// than two vectors have no pairs and give `nil`.
///
/// Dense vectors use one sgemm for the cosine Gram matrix. SAE latent vectors are sparse and use
/// `SparseRows`: each pair is a merge over the two supports (O(L0) instead of O(d_sae)), and
/// the sums run in Double.
public enum Similarity {
    /// The Jaccard denominators' additive constant (as in the authors' code).
    public static let jaccardEpsilon: Double = 1e-8

    /// S(V) for dense vectors.
    /// - Parameter vectors: (n, d), one vector per row.
    public static func meanOffDiagonal(_ vectors: Matrix, _ kind: SimilarityKind) -> Float? {
        if vectors.rows < 2 { return nil }
        switch kind {
        case .cosine: return meanOffDiagonalCosine(vectors)
        case .weightedJaccard, .binaryJaccard: return meanOffDiagonal(SparseRows(dense: vectors), kind)
        }
    }

    /// S(V) for sparse vectors (the rows of `codes`).
    public static func meanOffDiagonal(_ codes: SparseRows, _ kind: SimilarityKind) -> Float? {
        let n = codes.rows
        if n < 2 { return nil }
        var sum = 0.0
        let norms = kind == .cosine ? (0..<n).map { norm(codes, $0) } : []
        for i in 0..<n {
            for j in (i + 1)..<n {
                sum += pair(codes, i, j, kind, norms: norms)
            }
        }
        return Float(2 * sum / Double(n * (n - 1)))
    }

    /// The full n×n similarity matrix of sparse vectors (diagonal included), for reports and tests.
    public static func matrix(_ codes: SparseRows, _ kind: SimilarityKind) -> Matrix {
        let n = codes.rows
        let norms = kind == .cosine ? (0..<n).map { norm(codes, $0) } : []
        var out = Matrix(rows: n, cols: n)
        out.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                for j in i..<n {
                    let s = Float(pair(codes, i, j, kind, norms: norms))
                    p[i * n + j] = s
                    p[j * n + i] = s
                }
            }
        }
        return out
    }

    // MARK: - Kernels

    /// Mean off-diagonal of the Gram matrix of row-normalised vectors.
    /// - Parameter v: (n, d)
    static func meanOffDiagonalCosine(_ v: Matrix) -> Float {
        let n = v.rows
        let vn = CosineMatrix.rowNormalized(v)                   // (n, d)
        let gram = BLAS.matmul(vn, vn, transposeB: true)          // (n, n)
        var sum = 0.0
        gram.withUnsafeBufferPointer { g in
            for i in 0..<n { for j in 0..<n where i != j { sum += Double(g[i * n + j]) } }
        }
        return Float(sum / Double(n * (n - 1)))
    }

    static func norm(_ c: SparseRows, _ i: Int) -> Double {
        var s = 0.0
        for p in c.rowStart[i]..<c.rowStart[i + 1] { s += Double(c.value[p]) * Double(c.value[p]) }
        return s.squareRoot()
    }

    /// sim(cᵢ, cⱼ) by a merge over the union of the two supports.
    static func pair(_ c: SparseRows, _ i: Int, _ j: Int, _ kind: SimilarityKind, norms: [Double]) -> Double {
        var (p, pEnd) = (c.rowStart[i], c.rowStart[i + 1])
        var (q, qEnd) = (c.rowStart[j], c.rowStart[j + 1])
        var dot = 0.0, sumMin = 0.0, sumMax = 0.0
        var inter = 0, union = 0
        c.index.withUnsafeBufferPointer { idx in
            c.value.withUnsafeBufferPointer { val in
                while p < pEnd || q < qEnd {
                    let a = p < pEnd ? idx[p] : Int32.max
                    let b = q < qEnd ? idx[q] : Int32.max
                    var u = 0.0, v = 0.0
                    if a == b {
                        u = Double(val[p]); v = Double(val[q]); p += 1; q += 1
                    } else if a < b {
                        u = Double(val[p]); p += 1
                    } else {
                        v = Double(val[q]); q += 1
                    }
                    if u != 0 && v != 0 { inter += 1 }      // stored zeros are outside the supports
                    if u != 0 || v != 0 { union += 1 }
                    dot += u * v
                    sumMin += min(u, v)
                    sumMax += max(u, v)
                }
            }
        }
        switch kind {
        case .cosine:
            let eps = Double(CosineMatrix.epsilon)
            return dot / (max(norms[i], eps) * max(norms[j], eps))
        case .weightedJaccard:
            return sumMin / (sumMax + jaccardEpsilon)
        case .binaryJaccard:
            return Double(inter) / (Double(union) + jaccardEpsilon)
        }
    }
}
