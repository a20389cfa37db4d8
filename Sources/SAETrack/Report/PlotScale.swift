import Foundation

/// A tick on an axis: its data value and its label.
public struct AxisTick: Equatable {
    public var value: Double
    public var label: String
    /// Minor ticks are drawn short and unlabelled (log axes: 2…9 × 10ᵏ).
    public var isMinor: Bool
}

/// Maps a data interval onto a pixel interval, linearly or logarithmically, and picks
/// "nice" ticks (1, 2, 5 × 10ᵏ for linear axes; decades with 2…9 minor ticks for log axes).
public struct PlotScale {
    /// How data values map to pixels.
    public enum Kind: String, Codable { case linear, log }

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

    /// The pixel position of a data value (values outside the domain extrapolate).
    public func pixel(_ v: Double) -> Double {
        let t: Double
        switch kind {
        case .linear: t = (v - lower) / (upper - lower)
        case .log: t = (log10(max(v, 1e-300)) - log10(lower)) / (log10(upper) - log10(lower))
        }
        return pixelStart + t * (pixelEnd - pixelStart)
    }

    /// Whether `v` can be drawn on this scale (finite, and positive for log scales).
    public func accepts(_ v: Double) -> Bool { v.isFinite && (kind == .linear || v > 0) }

    /// 1, 2 or 5 × 10ᵏ, the nice number nearest above `rough`.
    public static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let exponent = floor(log10(rough))
        let fraction = rough / pow(10, exponent)
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * pow(10, exponent)
    }

    /// Ticks inside the domain.
    public func ticks(target: Int = 6) -> [AxisTick] {
        switch kind {
        case .linear: return linearTicks(target: target)
        case .log: return logTicks(target: target)
        }
    }

    private func linearTicks(target: Int) -> [AxisTick] {
        let step = Self.niceStep((upper - lower) / Double(max(1, target)))
        let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        var ticks: [AxisTick] = []
        var k = (lower / step - 1e-9).rounded(.up)
        while k * step <= upper + step * 1e-9 {
            let v = k * step
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
        if hi - lo < 1 {
            // Less than a decade: 1, 2, 5 × 10ᵏ labelled in plain numbers.
            for e in first...last {
                for m in [1.0, 2.0, 5.0] {
                    let v = m * pow(10, Double(e))
                    if v >= lower * 0.999999 && v <= upper * 1.000001 {
                        ticks.append(AxisTick(value: v, label: Self.plain(v), isMinor: false))
                    }
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
