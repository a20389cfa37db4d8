import SAETrackCore

/// How a one-to-one matching was computed.
public enum AssignmentMethod: String, Codable, Sendable {
    /// Exact maximum-total-cosine assignment (``Hungarian``) on the full live cosine matrix.
    case exactHungarian
    /// Greedy on the sparse top-k candidate graph (see ``OneToOneMatching``): an approximation.
    case greedyTopK
}

/// A one-to-one matching of the features of SAE A to those of SAE B by decoder cosine.
public struct OneToOneMatching: Codable, Equatable, Sendable {
    /// Which algorithm produced it.
    public var method: AssignmentMethod
    /// Candidates per A feature for ``AssignmentMethod/greedyTopK`` (`nil` for the exact method).
    public var candidatesPerFeature: Int?
    /// Per feature of A: its partner in B (`nil`: dead, or left unmatched).
    public var partnerOfA: [Int?]
    /// Per feature of A: cos(a_i, b_partner) (`nil` when unmatched).
    public var cosine: [Float?]
    /// Matched pairs.
    public var matched: Int
    /// Live A features left without a partner (more live A than live B, or greedy ran out of candidates).
    public var unmatchedLiveA: Int
    /// Σ cos over matched pairs.
    public var totalCosine: Double
    /// Mean cos over matched pairs (`nil` if none).
    public var meanCosine: Float?
    /// The shared-feature threshold τ.
    public var threshold: Float
    /// Fraction of live A features whose partner has cos ≥ τ.
    public var sharedFraction: Float?
}

extension OneToOneMatching {
    /// Default largest live-feature count for which the exact O(n³) Hungarian method is used.
    public static let defaultExactLimit = 2048
    /// Default candidates per feature for the greedy approximation.
    public static let defaultCandidates = 8
    /// Default number of greedy rounds.
    public static let defaultGreedyRounds = 4

    /// One-to-one matching of decoders `a` (nA, d) and `b` (nB, d) maximising total cosine.
    ///
    /// ```
    /// maximise Σ_i cos(a_i, b_σ(i))   over injective σ (live features only)
    /// ```
    ///
    /// - **Exact** when max(live A, live B) ≤ `exactLimit`: ``Hungarian`` on cost = −cos, the same
    ///   optimum as `scipy.optimize.linear_sum_assignment(cos, maximize=True)`.
    /// - **Approximation** beyond it (the exact method is O(n³): 65536 features would take days):
    ///   the streamed top-`candidates` cosines of each live A row form a sparse bipartite graph;
    ///   its edges are sorted by cosine (descending; ties by A index, then B index) and accepted
    ///   greedily when both ends are free. Greedy max-weight matching is within ½ of the optimum on
    ///   that graph and exact whenever every feature's best partner is mutual (the common case for
    ///   chained SAEs). A features whose candidates were all taken go to the next round, which
    ///   repeats the same on the still-free A and B features only (up to `greedyRounds` rounds,
    ///   each one streamed cosine pass over the remaining rows); any left after the last round
    ///   stay unmatched and are counted in ``unmatchedLiveA``.
    ///
    /// ``method`` records which was used.
    public init(_ a: Matrix, _ b: Matrix, aliveA: [Bool]? = nil, aliveB: [Bool]? = nil,
                threshold: Float = Matching.defaultThreshold, exactLimit: Int = defaultExactLimit,
                candidates: Int = defaultCandidates, greedyRounds: Int = defaultGreedyRounds,
                maxBlockElements: Int = CosineMatrix.defaultBlockElements) {
        let liveA = LiveRows(a, alive: aliveA), liveB = LiveRows(b, alive: aliveB)
        let (nA, nB) = (liveA.matrix.rows, liveB.matrix.rows)
        var pairs: [(Int, Int, Float)] = []                     // (live A row, live B row, cosine)
        if max(nA, nB) <= exactLimit {
            method = .exactHungarian
            candidatesPerFeature = nil
            let c = CosineMatrix.full(liveA.matrix, liveB.matrix)            // (nA, nB)
            // NaN cosines (a non-finite decoder row) cost as much as an orthogonal pair.
            let (columnOfRow, _) = Hungarian.solve(cost: c.storage.map { $0.isNaN ? 0 : -$0 }, rows: nA, cols: nB)
            for (i, j) in columnOfRow.enumerated() {
                if let j, !c.storage[i * nB + j].isNaN { pairs.append((i, j, c.storage[i * nB + j])) }
            }
        } else {
            method = .greedyTopK
            candidatesPerFeature = candidates
            pairs = OneToOneMatching.greedyRounds(liveA.matrix, liveB.matrix, candidates: candidates,
                                                  rounds: greedyRounds, maxBlockElements: maxBlockElements)
        }
        var partner = [Int?](repeating: nil, count: liveA.total)
        var cosine = [Float?](repeating: nil, count: liveA.total)
        var total = 0.0
        for (i, j, c) in pairs {
            partner[liveA.indices[i]] = liveB.indices[j]
            cosine[liveA.indices[i]] = c
            total += Double(c)
        }
        matched = pairs.count
        unmatchedLiveA = nA - pairs.count
        totalCosine = total
        meanCosine = pairs.isEmpty ? nil : Float(total / Double(pairs.count))
        self.threshold = threshold
        sharedFraction = nA == 0 ? nil : Float(pairs.filter { $0.2 >= threshold }.count) / Float(nA)
        partnerOfA = partner
        self.cosine = cosine
    }

    /// Greedy matching on the top-k candidate graph, repeated on the free rows and columns.
    /// - Returns: (row of a, row of b, cosine) pairs.
    static func greedyRounds(_ a: Matrix, _ b: Matrix, candidates: Int, rounds: Int,
                             maxBlockElements: Int) -> [(Int, Int, Float)] {
        var pairs: [(Int, Int, Float)] = []
        var freeA = Array(0..<a.rows), freeB = Array(0..<b.rows)
        var round = 0
        while round < max(1, rounds) && !freeA.isEmpty && !freeB.isEmpty {
            round += 1
            let subA = a.rows(at: freeA), subB = b.rows(at: freeB)
            let k = min(candidates, freeB.count)
            let top = CosineMatrix.topK(subA, subB, k: k, maxBlockElements: maxBlockElements)
            var edges: [(Int, Int, Float)] = []                                 // (sub A, sub B, cosine)
            edges.reserveCapacity(freeA.count * k)
            for i in 0..<freeA.count {
                for t in 0..<k where top.indices[i * k + t] >= 0 { edges.append((i, top.indices[i * k + t], top.cosines[i * k + t])) }
            }
            edges.sort { $0.2 != $1.2 ? $0.2 > $1.2 : (freeA[$0.0] != freeA[$1.0] ? freeA[$0.0] < freeA[$1.0] : $0.1 < $1.1) }
            var usedA = [Bool](repeating: false, count: freeA.count), usedB = [Bool](repeating: false, count: freeB.count)
            for (i, j, c) in edges where !usedA[i] && !usedB[j] {
                usedA[i] = true; usedB[j] = true
                pairs.append((freeA[i], freeB[j], c))
            }
            freeA = freeA.indices.filter { !usedA[$0] }.map { freeA[$0] }
            freeB = freeB.indices.filter { !usedB[$0] }.map { freeB[$0] }
        }
        return pairs
    }
}
