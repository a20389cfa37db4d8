import SAETrackCore

/// Central finite differences of the scalar loss `L(x) = Σ_i w[i] · f(x)[i]` (accumulated in Double),
/// the oracle every kernel backward is checked against.
enum FiniteDifference {
    /// Returns dL/dx[i] ≈ (L(x + h·e_i) − L(x − h·e_i)) / 2h for every i.
    static func gradient(of f: ([Float]) -> [Float], at x: [Float], weights w: [Float], h: Float = 1e-2) -> [Double] {
        func loss(_ v: [Float]) -> Double {
            let y = f(v)
            precondition(y.count == w.count, "FiniteDifference: f returned \(y.count) values for \(w.count) weights")
            var s: Double = 0
            for i in y.indices { s += Double(w[i]) * Double(y[i]) }
            return s
        }
        var out = [Double](repeating: 0, count: x.count)
        var v = x
        for i in x.indices {
            v[i] = x[i] + h
            let up = loss(v)
            v[i] = x[i] - h
            let down = loss(v)
            v[i] = x[i]
            out[i] = (up - down) / (2 * Double(h))
        }
        return out
    }

    /// Largest |a − b| relative to max(1, max |b|).
    static func maxRelativeError(_ a: [Float], _ b: [Double]) -> Double {
        precondition(a.count == b.count)
        let scale = max(1, b.map { abs($0) }.max() ?? 0)
        return zip(a, b).map { abs(Double($0) - $1) }.max().map { $0 / scale } ?? 0
    }
}

/// Random test data.
extension SeededRandom {
    mutating func floats(_ n: Int, _ low: Float = -1, _ high: Float = 1) -> [Float] {
        (0..<n).map { _ in uniform(low, high) }
    }

    mutating func matrix(_ rows: Int, _ cols: Int, _ low: Float = -1, _ high: Float = 1) -> Matrix {
        Matrix(rows: rows, cols: cols, storage: floats(rows * cols, low, high))
    }
}
