import Foundation

/// A tick on an axis: its data value and its label.
public struct AxisTick: Equatable {
    public var value: Double
    public var label: String
    /// Minor ticks are drawn short and unlabelled (log axes: 2…9 × 10ᵏ).
    public var isMinor: Bool
}

/// Maps a data interval onto a pixel interval, linearly or logarithmically, and picks
/// "nice" ticks (1, 2, 5 × 10ᵏ for linear axes; decades with 2…9 minor ticks for log axes;
/// plain step numbers, 0 included, for training-step axes). Every axis gets at least three
/// labelled ticks whatever its range.
public struct PlotScale {
    /// How data values map to pixels.
    public enum Kind: String, Codable {
        case linear
        /// log10(v); v > 0.
        case log
        /// log10(v + 1), labelled in v: a training-step axis that shows step 0 and real step
        /// numbers (0, 1, 2, 5, 10, 20, …) instead of "step + 1" powers of ten.
        case stepLog
    }

    public var kind: Kind
    /// Data interval (for log scales both ends are > 0).
    public private(set) var lower: Double
    public private(set) var upper: Double
    /// Pixel interval the data interval maps onto (may be decreasing, as for y axes).
    public var pixelStart: Double
    public var pixelEnd: Double

    /// A scale over `[lower, upper]`; degenerate or invalid intervals are widened.
    public init(kind: Kind, lower: Double, upper: Double, pixelStart: Double = 0, pixelEnd: Double = 1) {
        self.kind = kind
        var lo = lower, hi = upper
        if kind == .log {
            lo = max(lo, 1e-12)
            hi = max(hi, lo)
            if hi <= lo * 1.0000001 { lo /= 2; hi *= 2 }
        } else if kind == .stepLog {
            lo = max(lo, -0.999)
            hi = max(hi, lo)
            if hi <= lo + 1e-9 { lo = max(-0.5, lo / 2 - 0.5); hi = hi * 2 + 1 }
        } else if !(hi > lo) {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad; hi += pad
        }
        self.lower = lo
        self.upper = hi
        self.pixelStart = pixelStart
        self.pixelEnd = pixelEnd
    }

    /// A linear scale whose ends are rounded outward to ticks (d3's `nice()`).
    public static func niceLinear(_ lower: Double, _ upper: Double, targetTicks: Int = 6) -> PlotScale {
        let raw = PlotScale(kind: .linear, lower: lower, upper: upper)
        let step = niceStep((raw.upper - raw.lower) / Double(max(1, targetTicks)))
        return PlotScale(kind: .linear, lower: (raw.lower / step).rounded(.down) * step,
                         upper: (raw.upper / step).rounded(.up) * step)
    }

    /// A log scale covering `[lower, upper]` with a small margin in log space.
    public static func paddedLog(_ lower: Double, _ upper: Double, margin: Double = 0.04) -> PlotScale {
        let lo = log10(max(lower, 1e-12)), hi = log10(max(upper, max(lower, 1e-12)))
        let pad = max(hi - lo, 0.3) * margin
        return PlotScale(kind: .log, lower: pow(10, lo - pad), upper: pow(10, hi + pad))
    }

    /// A log-step scale over `[lower, upper]` (steps) with a small margin in log10(step + 1).
    public static func paddedStepLog(_ lower: Double, _ upper: Double, margin: Double = 0.04) -> PlotScale {
        let lo = log10(max(lower, 0) + 1), hi = log10(max(upper, max(lower, 0)) + 1)
        let pad = max(hi - lo, 0.3) * margin
        return PlotScale(kind: .stepLog, lower: pow(10, lo - pad) - 1, upper: pow(10, hi + pad) - 1)
    }

    /// The axis coordinate of `v`: v, log10(v) or log10(v + 1).
    public func transform(_ v: Double) -> Double {
        switch kind {
        case .linear: return v
        case .log: return log10(max(v, 1e-300))
        case .stepLog: return log10(max(v + 1, 1e-300))
        }
    }

    /// The pixel position of a data value (values outside the domain extrapolate).
    public func pixel(_ v: Double) -> Double {
        let t = (transform(v) - transform(lower)) / (transform(upper) - transform(lower))
        return pixelStart + t * (pixelEnd - pixelStart)
    }

    /// Whether `v` can be drawn on this scale (finite; positive for log, > −1 for step-log scales).
    public func accepts(_ v: Double) -> Bool {
        switch kind {
        case .linear: return v.isFinite
        case .log: return v.isFinite && v > 0
        case .stepLog: return v.isFinite && v > -1
        }
    }

    /// 1, 2 or 5 × 10ᵏ, the nice number nearest above `rough`.
    public static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let exponent = floor(log10(rough))
        let fraction = rough / pow(10, exponent)
        // A little slack so rounding noise (0.03 / 3 = 0.0100000003) does not jump to the next nice number.
        let tol = 1 + 1e-9
        let nice: Double = fraction <= tol ? 1 : fraction <= 2 * tol ? 2 : fraction <= 5 * tol ? 5 : 10
        return nice * pow(10, exponent)
    }

    /// Ticks inside the domain.
    public func ticks(target: Int = 6) -> [AxisTick] {
        switch kind {
        case .linear: return linearTicks(target: target)
        case .log:
            let t = logTicks(target: target)
            return t.filter { !$0.isMinor }.count >= 3 ? t : linearTicks(target: max(3, target))
        case .stepLog:
            let t = stepTicks(target: target)
            return t.filter { !$0.isMinor }.count >= 3 ? t : linearTicks(target: max(3, target))
        }
    }

    /// Step axis: 0, then 1, 2, 5 × 10ᵏ (plain numbers), thinned so labels stay apart; the
    /// unlabelled minor ticks are the other integer multiples of each decade.
    private func stepTicks(target: Int) -> [AxisTick] {
        let lo = transform(lower), hi = transform(upper)
        let minGap = (hi - lo) / Double(max(2, target)) * 0.6
        var candidates: [(value: Double, rank: Int)] = [(0, 0)]
        var e = 0
        while pow(10, Double(e)) <= upper * 1.000001 {
            let d = pow(10, Double(e))
            candidates.append((d, 0))
            candidates.append((2 * d, 2))
            candidates.append((5 * d, 1))
            e += 1
        }
        let inside = candidates.filter { $0.value >= lower - 1e-9 && $0.value <= upper * 1.000001 + 1e-9 }
        var chosen: [Double] = []
        // Decades (and 0) first, then 5s, then 2s, each only where it keeps its distance.
        for rank in 0...2 {
            for c in inside where c.rank == rank {
                let t = transform(c.value)
                if chosen.allSatisfy({ abs(transform($0) - t) >= minGap }) { chosen.append(c.value) }
            }
        }
        var ticks = chosen.sorted().map { AxisTick(value: $0, label: Self.plain($0), isMinor: false) }
        for e in 0...max(0, e) {
            let d = pow(10, Double(e))
            for m in 2...9 {
                let v = Double(m) * d
                if v >= lower && v <= upper && !chosen.contains(v) { ticks.append(AxisTick(value: v, label: "", isMinor: true)) }
            }
        }
        return ticks
    }

    private func linearTicks(target: Int) -> [AxisTick] {
        var ticks = linearTicks(step: Self.niceStep((upper - lower) / Double(max(1, target))))
        // Narrow ranges: halve the step (to the next nice one) until three labels fit.
        var rough = (upper - lower) / Double(max(1, target))
        for _ in 0..<4 where ticks.count < 3 {
            rough /= 2.2
            ticks = linearTicks(step: Self.niceStep(rough))
        }
        return ticks
    }

    private func linearTicks(step: Double) -> [AxisTick] {
        let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        var ticks: [AxisTick] = []
        var k = (lower / step - 1e-9).rounded(.up)
        while k * step <= upper + step * 1e-9 {
            let v = k * step
            if !accepts(v) { k += 1; continue }
            ticks.append(AxisTick(value: v, label: Self.format(v == 0 ? 0 : v, decimals: decimals), isMinor: false))
            k += 1
        }
        return ticks
    }

    private func logTicks(target: Int) -> [AxisTick] {
        let lo = log10(lower), hi = log10(upper)
        let first = Int(floor(lo)), last = Int(ceil(hi))
        var ticks: [AxisTick] = []
        let decades = last - first
        if hi - lo < 2.5 {
            // Up to a couple of decades: 1, 2, 5 × 10ᵏ labelled in plain numbers, other multiples minor.
            for e in first...last {
                for m in 1...9 {
                    let v = Double(m) * pow(10, Double(e))
                    guard v >= lower * 0.999999 && v <= upper * 1.000001 else { continue }
                    let major = m == 1 || m == 2 || m == 5
                    ticks.append(AxisTick(value: v, label: major ? Self.plain(v) : "", isMinor: !major))
                }
            }
            return ticks
        }
        // Every decade up to 8 of them; beyond, every stride-th (aligned to multiples of the stride).
        let stride = decades <= max(8, target) ? 1 : Int((Double(decades) / Double(max(1, target))).rounded(.up))
        for e in first...last {
            let v = pow(10, Double(e))
            if v >= lower * 0.999999 && v <= upper * 1.000001 && e % stride == 0 {
                ticks.append(AxisTick(value: v, label: Self.power(e), isMinor: false))
            }
            if stride == 1 {
                for m in 2...9 {
                    let mv = Double(m) * v
                    if mv >= lower && mv <= upper { ticks.append(AxisTick(value: mv, label: "", isMinor: true)) }
                }
            }
        }
        return ticks
    }

    /// "10ᵏ" with Unicode superscript digits (as matplotlib labels log axes).
    public static func power(_ e: Int) -> String {
        let sup: [Character: Character] = ["0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵",
                                           "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻"]
        return "10" + String(String(e).map { sup[$0] ?? $0 })
    }

    /// A compact plain-number label.
    public static func plain(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e7 { return String(Int(v)) }
        let decimals = max(0, min(6, Int(-floor(log10(abs(v)))) + 1))
        return format(v, decimals: decimals)
    }

    static func format(_ v: Double, decimals: Int) -> String {
        let s = String(format: "%.\(decimals)f", v)
        return s == "-0" ? "0" : (s.hasPrefix("-0.") && Double(s) == 0 ? String(s.dropFirst()) : s)
    }
}
