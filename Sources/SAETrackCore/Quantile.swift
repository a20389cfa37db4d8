/// Quantiles by numpy's default ("linear") method: quantile q of n sorted values is at position
/// q·(n − 1), interpolated linearly between the two order statistics around it.
public enum Quantile {
    /// Quantile `q` ∈ [0, 1] of `sorted` (ascending, not empty).
    public static func linear<T: BinaryFloatingPoint>(sorted: [T], _ q: Double) -> T {
        precondition(!sorted.isEmpty, "quantile of an empty list")
        let pos = q * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(sorted.count - 1, lo + 1)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * T(pos - Double(lo))
    }

    /// Quantiles of `values` (any order) at each of `levels`; empty when there are no values.
    public static func linear<T: BinaryFloatingPoint>(_ values: [T], levels: [Double]) -> [T] {
        if values.isEmpty { return [] }
        let s = values.sorted()
        return levels.map { linear(sorted: s, $0) }
    }
}
