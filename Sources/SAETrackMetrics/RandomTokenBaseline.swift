import SAETrackCore

/// The random-token baseline sample of the progress measures (Docs/Method.md §7.3), seeded.
///
/// `count` distinct rows are drawn without replacement (the first `count` entries of a seeded
/// Fisher–Yates permutation of the rows), then one position per row uniformly in
/// `0..<context` — as in the authors' code, where position 0 (BOS) can be drawn. Pass
/// `excludingPositionZero: true` to draw from `1..<context` instead (Docs/Method.md §12 Q6: BOS residuals
/// are atypical). The same sample is reused at every checkpoint, so R(c) tracks only the
/// change of representations.
///
/// The authors' scripts draw 100 tokens (150 in the activation-space script) unseeded; SAETrack
/// uses one seeded sample of `count` (default 100) for all four measures.
public enum RandomTokenBaseline {
    /// Flat token indices `row · context + position`, in draw order.
    /// - Parameters:
    ///   - rows: rows of the evaluation token matrix
    ///   - context: tokens per row
    ///   - count: tokens to draw (clamped to `rows`)
    public static func sample(rows: Int, context: Int, count: Int = 100, seed: UInt64,
                              excludingPositionZero: Bool = false) -> [Int] {
        precondition(rows > 0 && context > (excludingPositionZero ? 1 : 0),
                     "RandomTokenBaseline: need rows > 0 and a context long enough (rows \(rows), context \(context))")
        var rng = SeededRandom(seed: seed)
        let chosen = rng.permutation(rows).prefix(min(count, rows))
        return chosen.map { row in
            let position = excludingPositionZero ? 1 + rng.int(below: context - 1) : rng.int(below: context)
            return row * context + position
        }
    }
}
