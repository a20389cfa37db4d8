import SAETrackCore

extension OneToOneMatching {
    /// Dictionary MCC (mean correlation coefficient, arXiv 2505.20254) of the two decoders: the
    /// mean cosine of the matched pairs under the one-to-one assignment maximising the total
    /// decoder cosine, over live features,
    ///
    /// ```
    /// MCC(A, B) = (1 / |σ|) Σ_{i matched} cos(a_i, b_σ(i)),   σ = argmax_σ Σ_i cos(a_i, b_σ(i))   (injective, live rows)
    /// ```
    ///
    /// which is ``meanCosine`` under its name in the literature. With every feature live and equal
    /// widths it is the MCC of arXiv 2505.20254 exactly (|σ| = d_sae); a dead feature has no
    /// direction worth matching and is left out, as in every other matching of this package.
    /// 1 for identical dictionaries up to a permutation, ≈ 0 for unrelated random ones in high
    /// dimension. Exact (Hungarian) when ``method`` is ``AssignmentMethod/exactHungarian``.
    public var mcc: Float? { meanCosine }
}

/// The seed-noise floor of one checkpoint: pairwise dictionary MCC
/// (``OneToOneMatching/mcc``) among S ≥ 2 SAEs trained from scratch on the same activations with
/// different seeds.
///
/// ```
/// floor = { MCC(D_s, D_t) : 0 ≤ s < t < S }      summarised by its mean, min and max
/// ```
///
/// 1 − mean is how far apart two dictionaries are from the seed alone; a change of dictionary
/// smaller than that cannot be told from re-seeding (Docs/Method.md §8.4).
public struct SeedFloor: Codable, Equatable, Sendable {
    /// One pair of seeds.
    public struct Pair: Codable, Equatable, Sendable {
        /// Seed indices, `a < b`.
        public var a: Int
        public var b: Int
        /// MCC(D_a, D_b) (`nil`: no live feature in one of them).
        public var mcc: Float?
        /// Matched pairs (min of the two live counts for the exact method).
        public var matched: Int
        public var method: AssignmentMethod
    }

    /// The S(S − 1)/2 pairs, in order (0,1), (0,2), …, (1,2), ….
    public var pairs: [Pair]
    /// Mean, smallest and largest MCC over the pairs that have one (`nil` when none has).
    public var mean: Float?
    public var min: Float?
    public var max: Float?

    /// The floor of decoders `decoders[s]` (d_sae, d_in) with live flags `alive[s]` (`nil`: all live).
    public init(decoders: [Matrix], alive: [[Bool]?]? = nil) {
        precondition(decoders.count >= 2, "SeedFloor: need at least two SAEs (got \(decoders.count))")
        precondition(alive == nil || alive!.count == decoders.count, "SeedFloor: \(alive!.count) live masks for \(decoders.count) SAEs")
        var pairs: [Pair] = []
        for a in 0..<decoders.count {
            for b in (a + 1)..<decoders.count {
                let m = OneToOneMatching(decoders[a], decoders[b], aliveA: alive?[a], aliveB: alive?[b])
                pairs.append(Pair(a: a, b: b, mcc: m.mcc, matched: m.matched, method: m.method))
            }
        }
        self.pairs = pairs
        let values = pairs.compactMap(\.mcc)
        mean = values.isEmpty ? nil : Float(values.reduce(0.0) { $0 + Double($1) } / Double(values.count))
        min = values.min()
        max = values.max()
    }
}
