/// Where BatchTopK's selection cuts a list of candidate codes: of `total` kept, the largest values,
/// and among values equal to the smallest kept one (τ) the smallest (row, feature) keys
/// (`row << 32 | feature`), so the selection depends only on the set of candidates, never on their
/// order. The one rule both the single-process ``BatchTopKSelection`` (pruning each worker's list
/// and merging them) and the latent-sharded trainer (merging every rank's list, features as global
/// ids) apply.
package struct BatchTopKCut: Equatable, Sendable {
    /// τ: the `total`-th largest value, the smallest one kept.
    package let value: Float
    /// Of the entries equal to τ, those with keys ≤ this are kept.
    package let keyLimit: Int64

    /// The tie-break key of an entry.
    @inline(__always)
    package static func key(row: Int32, feature: Int32) -> Int64 { Int64(row) << 32 | Int64(feature) }

    /// Whether the entry (v, row, feature) is among the kept.
    @inline(__always)
    package func keeps(_ v: Float, row: Int32, feature: Int32) -> Bool {
        v > value || (v == value && Self.key(row: row, feature: feature) <= keyLimit)
    }

    /// The cut keeping the `total` first of the candidates in the order (value ↓, key ↑); nil when
    /// there are at most `total` (all are kept). `total` 0 keeps nothing.
    /// - Parameters: value, row, feature: the candidates, one entry per index (equal counts).
    package init?(value: [Float], row: [Int32], feature: [Int32], total: Int) {
        precondition(value.count == row.count && value.count == feature.count, "BatchTopKCut: unequal candidate arrays")
        guard value.count > total else { return nil }
        guard total > 0 else { self.value = .infinity; keyLimit = .min; return }
        let tau = BatchTopKSelection.kthLargest(value, total)
        var above = 0
        for v in value where v > tau { above += 1 }
        let ties = total - above                       // ≥ 1: τ is the total-th largest
        var tieKeys: [Int64] = []
        for e in 0..<value.count where value[e] == tau { tieKeys.append(Self.key(row: row[e], feature: feature[e])) }
        var limit = Int64.max
        if tieKeys.count > ties {
            tieKeys.sort()
            limit = tieKeys[ties - 1]
        }
        self.value = tau
        keyLimit = limit
    }
}
