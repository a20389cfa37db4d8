/// Area under the ROC curve by the rank statistic (Mann–Whitney U), ties handled by midranks.
///
/// ```
/// rank(x)  = average 1-based position of x among all N scores sorted ascending (midrank for ties)
/// R₊       = Σ_{positives} rank
/// AUROC    = (R₊ − P(P+1)/2) / (P · Q)          P positives, Q = N − P negatives
/// ```
///
/// This equals P(score₊ > score₋) + ½·P(score₊ = score₋), so a constant score gives 0.5.
/// Undefined (`nil`) without positives or without negatives.
public enum AUROC {
    /// AUROC of `scores` for the binary `labels`.
    public static func compute(scores: [Float], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count, "AUROC: \(scores.count) scores for \(labels.count) labels")
        let p = labels.filter { $0 }.count
        let q = labels.count - p
        if p == 0 || q == 0 { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && scores[order[end]] == scores[order[start]] { end += 1 }
            let midrank = Double(start + 1 + end) / 2                  // mean of ranks start+1 … end
            for t in start..<end where labels[order[t]] { rankSum += midrank }
            start = end
        }
        return fromRankSum(rankSum, positives: p, negatives: q)
    }

    /// AUROC from the positives' rank sum.
    static func fromRankSum(_ rankSum: Double, positives p: Int, negatives q: Int) -> Double {
        (rankSum - Double(p) * Double(p + 1) / 2) / (Double(p) * Double(q))
    }
}
