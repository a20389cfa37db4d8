import Foundation
import SAETrackCore
import SAETrackSAE

/// One top-activating context of a feature, enough for the report to render it with a tokenizer.
public struct ActivatingContext: Codable, Equatable, Sendable {
    /// Flat token index `row · context + position`.
    public var token: Int
    public var row: Int
    public var position: Int
    /// The feature's activation at the token.
    public var activation: Float
    /// The activating token's id.
    public var tokenID: Int32
    /// Token ids of the window `position − before … position + after` (clipped to the row).
    public var window: [Int32]
    /// Row position of `window[0]`.
    public var windowStart: Int
}

/// Whether a feature responds to a token identity or to a context (Docs/Method.md §6.2).
public enum SemanticLabel: String, Codable, Sendable {
    /// The activating tokens are (nearly) one identity: H_tok ≤ `tokenEntropyMax`.
    case tokenLevel
    /// Diverse activating tokens in contexts that share vocabulary beyond chance: H_tok > max, coherence ≥ ratio.
    case conceptLevel
    /// Neither: diverse tokens and equally diverse contexts.
    case mixed
    /// No activating token at all.
    case dead
}

/// Thresholds of the token-level / concept-level rule.
public struct SemanticRule: Codable, Equatable, Sendable {
    /// Tokens kept per feature per checkpoint.
    public var k: Int = 20
    /// Preceding tokens forming a context set (the activating token excluded).
    public var contextBefore: Int = 16
    /// Tokens after the activating one stored for rendering (not used by the rule).
    public var contextAfter: Int = 2
    /// Largest normalised token entropy of a token-level feature.
    public var tokenEntropyMax: Double = 0.35
    /// Smallest context coherence (context similarity over its random baseline) of a concept-level feature.
    public var conceptRatio: Double = 1.5
    /// Random positions of the coherence baseline.
    public var baselineCount: Int = 64
    /// Seed of the baseline positions.
    public var seed: UInt64 = 0

    public init(k: Int = 20, contextBefore: Int = 16, contextAfter: Int = 2, tokenEntropyMax: Double = 0.35,
                conceptRatio: Double = 1.5, baselineCount: Int = 64, seed: UInt64 = 0) {
        self.k = k
        self.contextBefore = contextBefore
        self.contextAfter = contextAfter
        self.tokenEntropyMax = tokenEntropyMax
        self.conceptRatio = conceptRatio
        self.baselineCount = baselineCount
        self.seed = seed
    }
}

/// A feature's semantics at one checkpoint.
public struct FeatureSemantics: Codable, Equatable, Sendable {
    public var feature: Int
    /// Top-activating contexts, best first (ties: earlier token).
    public var contexts: [ActivatingContext]
    public var label: SemanticLabel
    /// H_tok: normalised entropy of the activating token ids.
    public var tokenEntropy: Double
    /// S_WJ of the idf-weighted context sets of the activating positions (one per row).
    public var contextSimilarity: Double
    /// The same for the seeded random positions (identical for every feature of a checkpoint).
    public var baselineSimilarity: Double
    /// contextSimilarity / max(baselineSimilarity, 1e-3); 0 with fewer than two rows.
    public var contextCoherence: Double
    /// The most frequent activating token id (lowest id on ties) and its share.
    public var modalToken: Int32?
    public var modalShare: Double
    /// Jaccard overlap of the activating token-id sets with the previous checkpoint's (`nil` for the first).
    public var tokenOverlapWithPrevious: Double?
}

/// Semantics of the tracked features at one checkpoint.
public struct SemanticCheckpoint: Codable, Equatable, Sendable {
    public var step: Int
    public var features: [FeatureSemantics]
}

/// Semantic evolution (Docs/Method.md §6): each feature's top-activating contexts at each checkpoint
/// (SAE[c] on model@c, index-aligned features), with an automatic token-level vs concept-level
/// label — the paper judged this by hand from dashboards.
///
/// For the top-k activating tokens t₁…t_n of a feature (n ≤ k), with H the Shannon entropy of the
/// empirical distribution of a multiset of token ids, ctx(t) the *set* of token ids among the
/// `contextBefore` tokens before t in its row (the activating token excluded), and
/// idf(v) = ln(R / (1 + #rows containing v)), clamped at 0, over the R evaluation rows:
///
/// ```
/// H_tok     = H({id(t_i)}_i) / ln n                                     ∈ [0, 1]
/// c(t)      = the vector with idf(v) at every v ∈ ctx(t)
/// coherence = S_WJ({c(t_i)}) / max(S_WJ({c(r_j)}), 1e-3)      r_j: `baselineCount` seeded random positions
/// label     = tokenLevel    if H_tok ≤ tokenEntropyMax (0.35)
///             conceptLevel  else if coherence ≥ conceptRatio (1.5)
///             mixed         otherwise;     dead if n = 0
/// ```
///
/// S_WJ is the mean off-diagonal weighted Jaccard of ``Similarity`` — the "similarity against a
/// random baseline" construction of the progress measures, applied to the vocabulary of the
/// contexts, with each shared word weighted by its rarity so that ubiquitous function words
/// count little and topic words count a lot. A token-level feature ("and") fires on one identity,
/// so H_tok ≈ 0. A concept-level feature ("sports words") fires on many identities (high H_tok)
/// whose contexts share more informative vocabulary than random contexts do (the document's topic
/// words). A feature with diverse tokens in unrelated contexts (positional, dense or
/// polysemantic) is mixed. Only the best activating position of each row enters the coherence:
/// two positions of one row have overlapping windows and would share vocabulary trivially.
/// H_tok of fewer than two ids is 0; coherence of fewer than two rows is 0.
///
/// Calibration on the demo's synthetic corpus with ideal codes (one feature per planted label,
/// `SemanticLabelsOnCorpusTests`): topic features (topic words, topic function words, whole
/// topic) have coherence ≈ 2–4.5, non-topic features (single words, verbs, numbers, quotes,
/// sentence starts) ≤ 1.25; a ratio is used rather than a difference because the baseline level
/// grows with the window. Comparing an entropy of token ids with an entropy of context ids was
/// rejected: contexts mix function words, numbers and topic words, so their entropy is high even
/// for a clean topic feature, and plug-in entropies depend on the sample size.
public struct SemanticEvolution: Codable, Equatable, Sendable {
    /// The rule used.
    public var rule: SemanticRule
    /// Features tracked.
    public var features: [Int]
    /// One entry per checkpoint in order.
    public private(set) var checkpoints: [SemanticCheckpoint] = []

    public init(features: [Int], rule: SemanticRule = SemanticRule()) {
        self.features = features
        self.rule = rule
    }

    /// Adds a checkpoint from a finished top-k selection of SAE[c] over the evaluation tokens.
    /// - Parameters:
    ///   - top: ``TopActivations`` of SAE[c] on model@c (its k ≥ rule.k is truncated to rule.k)
    ///   - tokens: the evaluation token ids, row-major (rows, context)
    ///   - context: tokens per row
    public mutating func add(step: Int, top: TopActivations, tokens: [Int32], context: Int) {
        let previous = checkpoints.last
        let vocabulary = ContextVocabulary(tokens: tokens, context: context)
        let baseline = SemanticEvolution.baselineSimilarity(tokens: tokens, context: context, rule: rule, vocabulary: vocabulary)
        var out: [FeatureSemantics] = []
        for (fi, f) in features.enumerated() {
            let kept = Array(top.top(f).prefix(rule.k))
            var s = SemanticEvolution.describe(feature: f, top: kept, tokens: tokens, context: context, rule: rule,
                                               vocabulary: vocabulary, baselineSimilarity: baseline)
            if let prev = previous?.features[fi] {
                let a = Set(prev.contexts.map(\.tokenID)), b = Set(s.contexts.map(\.tokenID))
                let union = a.union(b).count
                s.tokenOverlapWithPrevious = union == 0 ? nil : Double(a.intersection(b).count) / Double(union)
            }
            out.append(s)
        }
        checkpoints.append(SemanticCheckpoint(step: step, features: out))
    }

    /// Adds a checkpoint by encoding `activations` (N, d_in) of model@c with SAE[c].
    public mutating func add(step: Int, sae: SparseAutoencoder, activations: Matrix, tokens: [Int32], context: Int) {
        var top = TopActivations(features: sae.dSAE, k: rule.k)
        top.add(sae: sae, activations: activations)
        add(step: step, top: top, tokens: tokens, context: context)
    }

    /// The label of every tracked feature at every checkpoint: `[checkpoint][feature]`.
    public var labels: [[SemanticLabel]] { checkpoints.map { $0.features.map(\.label) } }

    /// The semantics of one feature from its top activations.
    /// - Parameter baselineSimilarity: S_WJ of random contexts (``baselineSimilarity(tokens:context:rule:vocabulary:)``)
    static func describe(feature: Int, top: [TokenActivation], tokens: [Int32], context: Int,
                         rule: SemanticRule, vocabulary: ContextVocabulary, baselineSimilarity: Double) -> FeatureSemantics {
        var contexts: [ActivatingContext] = []
        for t in top {
            let (row, pos) = (t.token / context, t.token % context)
            let lo = max(0, pos - rule.contextBefore), hi = min(context - 1, pos + rule.contextAfter)
            let window = Array(tokens[(row * context + lo)...(row * context + hi)])
            contexts.append(ActivatingContext(token: t.token, row: row, position: pos, activation: t.activation,
                                              tokenID: tokens[t.token], window: window, windowStart: lo))
        }
        let ids = contexts.map(\.tokenID)
        let hTok = normalisedEntropy(ids)
        var rowsSeen = Set<Int>()
        let onePerRow = top.map(\.token).filter { rowsSeen.insert($0 / context).inserted }
        let similarity = contextSimilarity(onePerRow, tokens: tokens, context: context, rule: rule, vocabulary: vocabulary)
        let coherence = onePerRow.count < 2 ? 0 : similarity / max(baselineSimilarity, 1e-3)
        var counts: [Int32: Int] = [:]
        for id in ids { counts[id, default: 0] += 1 }
        let modal = counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }
        let label: SemanticLabel
        if contexts.isEmpty { label = .dead }
        else if hTok <= rule.tokenEntropyMax { label = .tokenLevel }
        else if coherence >= rule.conceptRatio { label = .conceptLevel }
        else { label = .mixed }
        return FeatureSemantics(feature: feature, contexts: contexts, label: label, tokenEntropy: hTok,
                                contextSimilarity: similarity, baselineSimilarity: baselineSimilarity,
                                contextCoherence: coherence, modalToken: modal?.key,
                                modalShare: ids.isEmpty ? 0 : Double(modal!.value) / Double(ids.count),
                                tokenOverlapWithPrevious: nil)
    }

    /// S_WJ of the context sets of `baselineCount` seeded random positions (position ≥ 1, so every
    /// context is non-empty).
    static func baselineSimilarity(tokens: [Int32], context: Int, rule: SemanticRule, vocabulary: ContextVocabulary) -> Double {
        let rows = tokens.count / context
        if rows == 0 || context < 2 { return 0 }
        let sample = RandomTokenBaseline.sample(rows: rows, context: context, count: rule.baselineCount,
                                                seed: rule.seed, excludingPositionZero: true)
        return contextSimilarity(sample, tokens: tokens, context: context, rule: rule, vocabulary: vocabulary)
    }

    /// Mean off-diagonal weighted Jaccard of the idf-weighted context id sets of the flat tokens `positions`.
    static func contextSimilarity(_ positions: [Int], tokens: [Int32], context: Int, rule: SemanticRule,
                                  vocabulary: ContextVocabulary) -> Double {
        if positions.count < 2 { return 0 }
        let sets = positions.map { t -> [Int32] in
            let (row, pos) = (t / context, t % context)
            let lo = max(0, pos - rule.contextBefore)
            return Array(Set(tokens[(row * context + lo)..<(row * context + pos)])).sorted()
        }
        return Double(Similarity.meanOffDiagonal(vocabulary.vectors(sets), .weightedJaccard) ?? 0)
    }

    /// H(empirical distribution of `ids`) / ln(ids.count); 0 for fewer than two ids.
    static func normalisedEntropy(_ ids: [Int32]) -> Double {
        if ids.count < 2 { return 0 }
        var counts: [Int32: Int] = [:]
        for id in ids { counts[id, default: 0] += 1 }
        let n = Double(ids.count)
        let h = counts.values.reduce(0.0) { acc, c in let p = Double(c) / n; return acc - p * Foundation.log(p) }
        return h / Foundation.log(n)
    }
}

/// Inverse document frequencies of the token ids, with evaluation rows as documents:
/// idf(v) = max(0, ln(R / (1 + #rows containing v))).
struct ContextVocabulary {
    /// Indexed by token id (0 ... max id).
    let idf: [Float]

    init(tokens: [Int32], context: Int) {
        let width = Int(tokens.max() ?? 0) + 1
        let rows = tokens.count / max(context, 1)
        var df = [Int](repeating: 0, count: width)
        var seen = [Int](repeating: -1, count: width)
        for r in 0..<rows {
            for p in 0..<context {
                let v = Int(tokens[r * context + p])
                if seen[v] != r { seen[v] = r; df[v] += 1 }
            }
        }
        idf = df.map { Float(max(0, Foundation.log(Double(rows) / Double(1 + $0)))) }
    }

    /// One row per id set with idf(v) at each of its ids (increasing, distinct, below `idf.count`);
    /// the ids whose idf is 0 store nothing.
    func vectors(_ sets: [[Int32]]) -> SparseRows {
        var rowStart = [0], index: [Int32] = [], value: [Float] = []
        for ids in sets {
            precondition(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 } && ids.allSatisfy { $0 >= 0 && Int($0) < idf.count },
                         "ContextVocabulary.vectors: ids must be increasing and below \(idf.count)")
            index.append(contentsOf: ids); value.append(contentsOf: ids.map { idf[Int($0)] })
            rowStart.append(index.count)
        }
        return SparseRows(rows: sets.count, cols: idf.count, rowStart: rowStart, index: index, value: value).droppingZeros()
    }
}
