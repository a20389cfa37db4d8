import SAETrackCore

/// The distribution of one feature's activations over the evaluation tokens at one checkpoint,
/// as a feature card shows it: how often it fires, a histogram of its non-zero activations, and
/// which tokens to show as samples from each part of that distribution.
public struct ActivationDistribution: Equatable, Sendable {
    /// Tokens evaluated.
    public var tokens: Int
    /// Tokens where the feature fires (activation > 0).
    public var firing: Int
    /// firing / tokens.
    public var density: Double { tokens == 0 ? 0 : Double(firing) / Double(tokens) }
    /// Largest activation (0 when it never fires).
    public var maxActivation: Double
    /// Histogram of the non-zero activations: `bins` equal bins over [0, max]; the last bin is
    /// closed (numpy.histogram's convention), so the maximum lands in it.
    public var edges: [Double]
    public var counts: [Int]
    /// Non-zero activations with their flat token index, sorted by activation (ascending; ties by index).
    public var sorted: [(token: Int, activation: Float)]

    public static func == (a: Self, b: Self) -> Bool {
        a.tokens == b.tokens && a.firing == b.firing && a.maxActivation == b.maxActivation && a.edges == b.edges && a.counts == b.counts
            && a.sorted.map(\.token) == b.sorted.map(\.token) && a.sorted.map(\.activation) == b.sorted.map(\.activation)
    }

    /// - Parameters:
    ///   - activations: the feature's activation at every evaluation token (length `tokens`)
    ///   - bins: histogram bins
    public init(activations: [Float], bins: Int = 24) {
        tokens = activations.count
        var nz: [(token: Int, activation: Float)] = []
        for (t, a) in activations.enumerated() where a > 0 { nz.append((t, a)) }
        nz.sort { $0.activation != $1.activation ? $0.activation < $1.activation : $0.token < $1.token }
        sorted = nz
        firing = nz.count
        let top = Double(nz.last?.activation ?? 0)
        maxActivation = top
        let hi = top > 0 ? top : 1
        edges = (0...bins).map { hi * Double($0) / Double(bins) }
        var c = [Int](repeating: 0, count: bins)
        for (_, a) in nz {
            let b = min(bins - 1, Int(Double(a) / hi * Double(bins)))
            c[b] += 1
        }
        counts = c
    }

    /// The activation at quantile `q` of the non-zero activations (linear interpolation, numpy's
    /// default); nil when the feature never fires.
    public func quantile(_ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        return Quantile.linear(sorted: sorted.map { Double($0.activation) }, q)
    }

    /// `perBand` tokens from each quantile band [lo, hi) of the non-zero activations, spread
    /// evenly inside the band (ranks lo·n … hi·n, n non-zero activations), lowest first; the
    /// bands' own tokens only, so a band with no token contributes nothing.
    public func samples(bands: [(Double, Double)], perBand: Int) -> [(band: Int, token: Int, activation: Float)] {
        let n = sorted.count
        var out: [(Int, Int, Float)] = []
        for (b, (lo, hi)) in bands.enumerated() {
            let start = Int((lo * Double(n)).rounded(.down)), end = min(n, Int((hi * Double(n)).rounded(.down)))
            guard end > start else { continue }
            let count = min(perBand, end - start)
            var used = Set<Int>()
            for k in 0..<count {
                let rank = start + Int((Double(k) + 0.5) * Double(end - start) / Double(count))
                if used.insert(rank).inserted { out.append((b, sorted[rank].token, sorted[rank].activation)) }
            }
        }
        return out
    }
}
