import SAETrackCore

/// The 2-D PCA trajectory of one feature's decoder direction over a chain (Docs/Method.md §8.3).
///
/// Stack W_dec⁽ᶜ⁾[i] over the checkpoints c₀ < c₁ < … (C rows of d_in), centre by the column
/// mean, and project on the top principal axes, as `sklearn.decomposition.PCA(n_components=2)`
/// (no whitening):
///
/// ```
/// X  = stack_c W_dec⁽ᶜ⁾[i] − mean_c W_dec⁽ᶜ⁾[i]          (C, d_in)
/// X  = U · diag(s) · Vᵀ                                  thin SVD (LAPACK sgesdd)
/// points = U[:, :2] · diag(s[:2])  (= X · V[:, :2])     (C, 2)
/// explainedVarianceRatio_k = s_k² / Σ_j s_j²
/// ```
///
/// Signs are fixed deterministically: each component (row of Vᵀ) is flipped so that its entry of
/// largest magnitude is positive (scikit-learn ≥ 1.5's `svd_flip(u_based_decision=False)`).
/// With fewer than 2 distinct rows the missing components are zero.
public struct PCATrajectory: Codable, Equatable, Sendable {
    /// The feature's index.
    public var feature: Int
    /// Checkpoint steps, one per point.
    public var steps: [Int]
    /// Projected points, one `[pc1, pc2]` per checkpoint.
    public var points: [[Float]]
    /// Fraction of variance explained by each kept component.
    public var explainedVarianceRatio: [Float]
    /// The principal axes (components × d_in), rows of Vᵀ after the sign fix.
    public var components: [[Float]]

    /// Fits the trajectory of a stack of decoder rows.
    /// - Parameters:
    ///   - rows: (C, d_in), W_dec⁽ᶜ⁾[feature] in checkpoint order
    ///   - steps: C steps
    ///   - components: number of components (2 in the method)
    /// - Throws: `LAPACKError` if the SVD fails (non-finite input).
    public init(feature: Int, rows: Matrix, steps: [Int], components: Int = 2) throws {
        precondition(rows.rows == steps.count, "PCATrajectory: \(rows.rows) rows for \(steps.count) steps")
        let (c, d) = (rows.rows, rows.cols)
        var x = rows                                               // (C, d_in), centred below
        var mean = [Float](repeating: 0, count: d)
        x.withUnsafeMutableBufferPointer { p in
            for r in 0..<c { for j in 0..<d { mean[j] += p[r * d + j] } }
            for j in 0..<d { mean[j] /= Float(max(c, 1)) }
            for r in 0..<c { for j in 0..<d { p[r * d + j] -= mean[j] } }
        }
        let (u, s, vt) = try LAPACK.svd(x)                         // U (C, p), s (p), Vᵀ (p, d_in)
        let p = s.count
        let kept = min(components, p)
        let total = s.reduce(0.0) { $0 + Double($1) * Double($1) }
        var points = [[Float]](repeating: [Float](repeating: 0, count: components), count: c)
        var axes = [[Float]](repeating: [Float](repeating: 0, count: d), count: components)
        var ratio = [Float](repeating: 0, count: components)
        for k in 0..<kept {
            var axis = vt.row(k)
            let pivot = axis.indices.max { abs(axis[$0]) < abs(axis[$1]) } ?? 0
            let sign: Float = axis.isEmpty || axis[pivot] >= 0 ? 1 : -1
            if sign < 0 { axis = axis.map { -$0 } }
            axes[k] = axis
            for r in 0..<c { points[r][k] = sign * u[r, k] * s[k] }
            ratio[k] = total > 0 ? Float(Double(s[k]) * Double(s[k]) / total) : 0
        }
        self.feature = feature
        self.steps = steps
        self.points = points
        self.explainedVarianceRatio = ratio
        self.components = axes
    }

    /// The trajectory of feature `feature` through a chain of decoders (each (d_sae, d_in)).
    public init(feature: Int, decoders: [Matrix], steps: [Int], components: Int = 2) throws {
        precondition(!decoders.isEmpty, "PCATrajectory: no decoders")
        let d = decoders[0].cols
        var stack = Matrix(rows: decoders.count, cols: d)          // (C, d_in)
        for (c, dec) in decoders.enumerated() {
            precondition(dec.cols == d && feature < dec.rows,
                         "PCATrajectory: decoder \(c) is \(dec.shape), cannot take row \(feature) of width \(d)")
            dec.withRows(feature..<(feature + 1)) { src in
                stack.withMutableRows(c..<(c + 1)) { dst in for j in 0..<d { dst[j] = src[j] } }
            }
        }
        try self.init(feature: feature, rows: stack, steps: steps, components: components)
    }
}
