import SAETrackCore

/// The geometric median by Weiszfeld's iteration, exactly as SAE-Track's `compute_geometric_median`
/// (Docs/Method.md §3.3):
/// ```
/// m ← mean(points)
/// repeat up to maxIterations times:
///     w_i ← 1 / max(‖p_i − m‖₂, 1e-6);  m ← Σ w_i p_i / Σ w_i
///     stop if |obj_prev − obj| ≤ 1e-20 · obj,   obj = Σ_i ‖p_i − m‖₂
/// ```
package enum GeometricMedian {
    /// The median of the rows of `points` (N, d) → (d).
    package static func compute(_ points: Matrix, maxIterations: Int = 100, epsilon: Float = 1e-6,
                               tolerance: Double = 1e-20) -> [Float] {
        let (n, d) = (points.rows, points.cols)
        precondition(n > 0, "GeometricMedian: no points")
        var median = SAEObjective.columnMeans(points).map(Double.init)
        var objective = Self.objective(points, median)
        var distances = [Double](repeating: 0, count: n)
        for _ in 0..<maxIterations {
            let previous = objective
            Self.distances(points, median, into: &distances)
            var next = [Double](repeating: 0, count: d)
            var weightSum: Double = 0
            points.withUnsafeBufferPointer { p in
                for i in 0..<n {
                    let w = 1 / max(distances[i], Double(epsilon))
                    weightSum += w
                    for j in 0..<d { next[j] += w * Double(p[i * d + j]) }
                }
            }
            median = next.map { $0 / weightSum }
            objective = Self.objective(points, median)
            if abs(previous - objective) <= tolerance * objective { break }
        }
        return median.map(Float.init)
    }

    /// Σ_i ‖p_i − m‖₂.
    package static func objective(_ points: Matrix, _ median: [Double]) -> Double {
        var dist = [Double](repeating: 0, count: points.rows)
        distances(points, median, into: &dist)
        return dist.reduce(0, +)
    }

    private static func distances(_ points: Matrix, _ median: [Double], into out: inout [Double]) {
        let (n, d) = (points.rows, points.cols)
        points.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                let (pb, ob) = (p.baseAddress!, o.baseAddress!)
                median.withUnsafeBufferPointer { mb in
                    Parallel.forEachChunk(n, minChunk: 1024) { range in
                        for i in range {
                            var s: Double = 0
                            for j in 0..<d { let t = Double(pb[i * d + j]) - mb[j]; s += t * t }
                            ob[i] = s.squareRoot()
                        }
                    }
                }
            }
        }
    }
}
