import SAETrackCore

/// Max-cosine matching of two SAEs that are **not** chained (independent SAEs, or a chain SAE vs a
/// from-scratch baseline), where index i in one means nothing in the other.
public struct MatchingSummary: Codable, Equatable, Sendable {
    /// The shared-feature threshold τ.
    public var threshold: Float
    /// Per feature of A: max_j cos(a_i, b_j) over live B features (`nil`: i dead in A).
    public var maxCosineAToB: [Float?]
    /// Per feature of A: the argmax j (lowest index on ties).
    public var bestMatchAToB: [Int?]
    /// Per feature of B: max_i cos(b_j, a_i) over live A features (`nil`: j dead in B).
    public var maxCosineBToA: [Float?]
    /// Per feature of B: the argmax i (lowest index on ties).
    public var bestMatchBToA: [Int?]
    /// MMCS(A→B) = mean over live i of maxCosineAToB (`nil` with no live features).
    public var mmcsAToB: Float?
    /// MMCS(B→A).
    public var mmcsBToA: Float?
    /// Fraction of live A features with maxCosineAToB ≥ τ.
    public var sharedFractionAToB: Float?
    /// Fraction of live B features with maxCosineBToA ≥ τ.
    public var sharedFractionBToA: Float?
    /// Live features in A and in B.
    public var liveA: Int
    public var liveB: Int
}

/// Max-cosine matching and MMCS between the decoders of two SAEs.
///
/// ```
/// C[i, j]          = cos(W_dec^A[i], W_dec^B[j])                (ε-guarded, see CosineMatrix)
/// maxCos_{A→B}(i)  = max_j C[i, j]        over live j
/// MMCS(A→B)        = mean_{live i} maxCos_{A→B}(i)
/// shared_{A→B}(τ)  = #{live i : maxCos_{A→B}(i) ≥ τ} / #{live i}
/// ```
///
/// and symmetrically B→A (column maxima of the same C). C is never materialised: it is streamed
/// in row blocks of at most `maxBlockElements` floats (one sgemm per block; d_sae 65536 against
/// 65536 is 64 blocks of 64 MB with the default), and both row and column maxima are reduced from
/// each block. Dead features (per the `alive` masks) are neither matched nor candidates.
public enum Matching {
    /// Default shared-feature threshold.
    public static let defaultThreshold: Float = 0.7

    /// Max-cosine matching of decoders `a` (nA, d) and `b` (nB, d).
    public static func compare(
        _ a: Matrix, _ b: Matrix, aliveA: [Bool]? = nil, aliveB: [Bool]? = nil,
        threshold: Float = defaultThreshold, maxBlockElements: Int = CosineMatrix.defaultBlockElements
    ) -> MatchingSummary {
        let liveA = LiveRows(a, alive: aliveA), liveB = LiveRows(b, alive: aliveB)
        let (nA, nB) = (liveA.matrix.rows, liveB.matrix.rows)
        var rowMax = [Float](repeating: -.infinity, count: nA), rowArg = [Int](repeating: -1, count: nA)
        var colMax = [Float](repeating: -.infinity, count: nB), colArg = [Int](repeating: -1, count: nB)
        rowMax.withUnsafeMutableBufferPointer { rm in
        rowArg.withUnsafeMutableBufferPointer { ra in
        colMax.withUnsafeMutableBufferPointer { cm in
        colArg.withUnsafeMutableBufferPointer { ca in
            CosineMatrix.forEachBlock(liveA.matrix, liveB.matrix, maxBlockElements: maxBlockElements) { rows, block in
                // Row maxima: rows split over threads.
                Parallel.forEachChunk(rows.count, minChunk: 16) { local in
                    for lr in local {
                        let row = block.baseAddress! + lr * nB
                        var best: Float = -.infinity, arg = -1
                        for j in 0..<nB where row[j] > best { best = row[j]; arg = j }
                        ra[rows.lowerBound + lr] = arg
                        rm[rows.lowerBound + lr] = best
                    }
                }
                // Column maxima: columns split over threads, rows in increasing order (ties → lowest i).
                Parallel.forEachChunk(nB, minChunk: 1024) { cols in
                    for lr in 0..<rows.count {
                        let row = block.baseAddress! + lr * nB
                        for j in cols where row[j] > cm[j] { cm[j] = row[j]; ca[j] = rows.lowerBound + lr }
                    }
                }
            }
        }}}}
        func summary(_ maxima: [Float], _ args: [Int], _ from: LiveRows, _ to: LiveRows) -> ([Float?], [Int?], Float?, Float?) {
            var values = [Float?](repeating: nil, count: from.total)
            var matches = [Int?](repeating: nil, count: from.total)
            for (k, i) in from.indices.enumerated() where args[k] >= 0 {
                values[i] = maxima[k]
                matches[i] = to.indices[args[k]]
            }
            let live = maxima.filter { $0.isFinite }
            if live.isEmpty { return (values, matches, nil, nil) }
            let mean = Float(live.reduce(0.0) { $0 + Double($1) } / Double(live.count))
            let shared = Float(live.filter { $0 >= threshold }.count) / Float(live.count)
            return (values, matches, mean, shared)
        }
        let ab = summary(rowMax, rowArg, liveA, liveB)
        let ba = summary(colMax, colArg, liveB, liveA)
        return MatchingSummary(threshold: threshold,
                               maxCosineAToB: ab.0, bestMatchAToB: ab.1, maxCosineBToA: ba.0, bestMatchBToA: ba.1,
                               mmcsAToB: ab.2, mmcsBToA: ba.2, sharedFractionAToB: ab.3, sharedFractionBToA: ba.3,
                               liveA: nA, liveB: nB)
    }
}

/// The live rows of a decoder, gathered into a dense matrix, with their original indices.
struct LiveRows {
    /// (live, d)
    let matrix: Matrix
    /// Original row index of each live row, increasing.
    let indices: [Int]
    /// Rows before masking.
    let total: Int

    init(_ m: Matrix, alive: [Bool]?) {
        precondition(alive == nil || alive!.count == m.rows, "LiveRows: \(alive?.count ?? 0) live flags for \(m.rows) rows")
        total = m.rows
        guard let alive, alive.contains(false) else {
            matrix = m
            indices = Array(0..<m.rows)
            return
        }
        indices = (0..<m.rows).filter { alive[$0] }
        matrix = m.rows(at: indices)
    }
}
