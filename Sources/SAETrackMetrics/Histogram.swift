/// A fixed-range histogram with equal-width bins (numpy convention).
///
/// ```
/// bin(x) = ⌊(x − lower) / (upper − lower) · bins⌋,   the last bin is closed: x = upper → bins − 1
/// ```
///
/// Values slightly outside `[lower, upper]` from float rounding (a cosine of 1.0000001) are
/// clamped into the end bins; non-finite values are counted in `skipped`, never binned.
/// The method's drift histograms (Docs/Method.md §8.2) are `Histogram(values, bins: 100, lower: −1, upper: 1)`.
public struct Histogram: Codable, Equatable, Sendable {
    /// Left edge of the first bin.
    public var lower: Float
    /// Right edge of the last bin.
    public var upper: Float
    /// One count per bin.
    public var counts: [Int]
    /// Number of values that were NaN or infinite.
    public var skipped: Int

    /// The `counts.count + 1` bin edges.
    public var edges: [Float] {
        let n = counts.count
        return (0...n).map { lower + (upper - lower) * Float($0) / Float(n) }
    }

    /// Bins `values` into `bins` equal bins over `[lower, upper]`.
    public init(_ values: [Float], bins: Int = 100, lower: Float = -1, upper: Float = 1) {
        precondition(bins > 0 && upper > lower, "Histogram: need bins > 0 and upper > lower")
        self.lower = lower
        self.upper = upper
        var counts = [Int](repeating: 0, count: bins)
        var skipped = 0
        let scale = Double(bins) / Double(upper - lower)
        for v in values {
            guard v.isFinite else { skipped += 1; continue }
            let b = Int(((Double(v) - Double(lower)) * scale).rounded(.down))
            counts[min(bins - 1, max(0, b))] += 1
        }
        self.counts = counts
        self.skipped = skipped
    }
}
