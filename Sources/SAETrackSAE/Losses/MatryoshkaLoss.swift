import SAETrackCore

/// Matryoshka's nested reconstruction losses and the per-group upstream gradients they induce
/// (SAELens 6.54.12 `MatryoshkaBatchTopKTrainingSAE.training_forward_pass`).
///
/// With level widths w_0 < … < w_{G−1} = d_sae and codes f (B, d_sae), level h reconstructs from
/// the first w_h features only:
/// ```
/// x̂_h = b_dec + Σ_{i < w_h} f[b,i]·W_dec[i]                          (B, d_in); x̂_{G−1} = x̂
/// L_h = mean_b Σ_j (x̂_h − x)²        (saeLens; the saeTrack MSE mode uses its own form, `SAEMSEMode`)
/// ```
/// and every inner level h < G−1 adds L_h to the loss (the outer level is the ordinary MSE).
/// Feature i of group g (w_{g−1} ≤ i < w_g) enters levels g…G−1, so its upstream gradient is
/// ```
/// U_g = Σ_{h ≥ g} Y_h,   Y_h = ∂L_h/∂x̂_h                                (B, d_in) per group
/// ```
/// which ``SparseBackward`` reads per feature group; U_0, the sum over all levels, is b_dec's.
package enum MatryoshkaLoss {
    /// What ``apply(reconstructions:batch:levels:mseMode:denominators:outerUpstream:)`` returns.
    package struct Output {
        /// (G − 1) the inner levels' losses L_h.
        package var innerLosses: [Float]
        /// (G·B, d_in) the stacked U_0 … U_{G−1} (U_{G−1} = the outer upstream).
        package var upstream: Matrix
        /// (B, d_in) U_0: the upstream of b_dec through all reconstructions.
        package var total: Matrix
    }

    /// - Parameters:
    ///   - reconstructions: (G·B, d_in) with block h (rows h·B ..< (h+1)·B) holding x̂_h for every
    ///     inner level h < G−1, as ``SparseDecoder``'s prefix decode writes them
    ///     (`prefixEnds` = the levels but the last); block G−1 is scratch. It becomes `upstream`.
    ///   - x: (B, d_in) the batch the reconstructions are compared with
    ///   - levels: G increasing widths ending at d_sae
    ///   - denominators: (B) ‖x_b − mean(x)‖₂ (read in the saeTrack MSE mode only)
    ///   - outerUpstream: (B, d_in) Y_{G−1} = ∂MSE/∂x̂
    /// Rows are independent and each row's inner losses are summed over the batch in row order in
    /// Double, so the result does not depend on the thread count.
    package static func apply(reconstructions: consuming Matrix, batch x: Matrix, levels: [Int], mseMode: SAEMSEMode,
                             denominators: [Float], outerUpstream: Matrix) -> Output {
        let (b, d, g) = (x.rows, x.cols, levels.count)
        var stacked = reconstructions
        precondition(g >= 1 && outerUpstream.rows == b && outerUpstream.cols == d
                     && stacked.rows == g * b && stacked.cols == d,
                     "MatryoshkaLoss: the reconstructions must be (levels · B, d_in) and the batch shapes agree")
        var rowLoss = [Float](repeating: 0, count: max(g - 1, 0) * b)           // (G−1, B) Σ_j (x̂_h − x)²
        let saeTrack = mseMode == .saeTrack
        stacked.withUnsafeMutableBufferPointer { sb in
        rowLoss.withUnsafeMutableBufferPointer { lb in
        x.withUnsafeBufferPointer { xb in
        outerUpstream.withUnsafeBufferPointer { ob in denominators.withUnsafeBufferPointer { den in
            let (sp, lp, xp, op) = (sb.baseAddress!, lb.baseAddress!, xb.baseAddress!, ob.baseAddress!)
            Parallel.forEachChunk(b, minChunk: 16) { rows in
                for r in rows {
                    let xr = xp + r * d
                    let scale: Float = saeTrack ? 2 / (Float(b * d) * den[r]) : 2 / Float(b)
                    for h in 0..<(g - 1) {
                        let yr = sp + (h * b + r) * d                                   // x̂_h row → Y_h row
                        for j in 0..<d { yr[j] -= xr[j] }
                        lp[h * b + r] = SIMDMath.dot(yr, yr, d)
                        for j in 0..<d { yr[j] *= scale }
                    }
                    // Suffix sums: U_{G−1} = Y_{G−1}; U_h = Y_h + U_{h+1}.
                    (sp + ((g - 1) * b + r) * d).update(from: op + r * d, count: d)
                    for h in stride(from: g - 2, through: 0, by: -1) {
                        let (uh, next) = (sp + (h * b + r) * d, sp + ((h + 1) * b + r) * d)
                        for j in 0..<d { uh[j] += next[j] }
                    }
                }
            }
        } } } } }
        var inner = [Float](repeating: 0, count: max(g - 1, 0))
        for h in 0..<(g - 1) {
            var s: Double = 0
            for r in 0..<b { s += saeTrack ? Double(rowLoss[h * b + r] / denominators[r]) : Double(rowLoss[h * b + r]) }
            inner[h] = Float(saeTrack ? s / Double(b * d) : s / Double(b))
        }
        return Output(innerLosses: inner, upstream: stacked, total: stacked.rows(0..<b))
    }
}
