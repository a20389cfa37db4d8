import Foundation
import SAETrackCore
import SAETrackLM

/// Reconstruction and sparsity metrics of an SAE on a set of activations (SAE-Track's evals,
/// Docs/Method.md §5.3, with SAELens's corrected explained variance).
///
/// With x (N, d), x̂ the reconstruction, f the codes and x̄ the mean of x over the N rows:
/// ```
/// l0            = mean_b #{i : f[b,i] > 0}
/// mse           = mean_{b,j} (x̂ − x)²                      (plain, per element)
/// saeTrackMSE   = mean_{b,j} (x̂ − x)² / ‖x_b − x̄‖₂         (the training loss's form)
/// ev            = 1 − mean_b ‖x̂_b − x_b‖² / mean_b ‖x_b − x̄‖²
/// l2Ratio       = mean_b ‖x̂_b‖ / ‖x_b‖                     (over the rows with x_b ≠ 0)
/// freq[i]       = mean_b 1[f[b,i] > 0];  dead: freq = 0;  dense: freq > denseThreshold
/// ```
/// The explained variance averages numerator and denominator separately: SAE-Track's logged
/// `metrics/explained_variance` and SAELens's "legacy" variant average the per-token ratio
/// 1 − ‖e_b‖²/‖x_b − x̄‖² instead, which tokens with a small centred norm (BOS, near-mean tokens)
/// dominate; `legacyExplainedVariance` reports that one too. Rows whose norm (for `l2Ratio`) or
/// centred norm (for `saeTrackMSE` and the per-token ratio) is 0 — an all-zero activation, as
/// synthetic data with no active feature gives — have no ratio and are left out of those means.
public struct SAEEvaluation: Codable, Sendable, Equatable {
    public var tokens: Int
    public var l0: Double
    public var mse: Double
    public var saeTrackMSE: Double
    public var explainedVariance: Double
    public var legacyExplainedVariance: Double
    public var l2Ratio: Double
    /// Fraction of features that never fired on the evaluation set.
    public var deadFraction: Double
    /// Fraction of features firing on more than `denseThreshold` of the tokens.
    public var denseFraction: Double
    public var denseThreshold: Double
    /// (d_sae) firing frequency per feature.
    public var firingFrequency: [Float]
    /// Histogram of log10(freq + 1e-10) over features.
    public var densityHistogram: DensityHistogram

    enum CodingKeys: String, CodingKey {
        case tokens, l0, mse, saeTrackMSE = "sae_track_mse", explainedVariance = "explained_variance"
        case legacyExplainedVariance = "legacy_explained_variance", l2Ratio = "l2_ratio"
        case deadFraction = "dead_fraction", denseFraction = "dense_fraction", denseThreshold = "dense_threshold"
        case firingFrequency = "firing_frequency", densityHistogram = "log10_density_histogram"
    }

    /// Evaluates `sae` on `x` (N, d_in), `batchSize` rows at a time, through its own encode (ReLU,
    /// TopK or JumpReLU, with its input normalisation); codes stay sparse.
    public static func evaluate(_ sae: SparseAutoencoder, on x: Matrix, batchSize: Int = 4096,
                                denseThreshold: Double = 0.1, histogramBins: Int = 50) -> SAEEvaluation {
        precondition(x.cols == sae.dIn, "SAEEvaluation: activations have \(x.cols) columns, the SAE has d_in \(sae.dIn)")
        let (n, d, m) = (x.rows, sae.dIn, sae.dSAE)
        let mean = SAEObjective.columnMeans(x)
        var counts = [Int](repeating: 0, count: m)
        var nnz = 0
        var err2 = 0.0, cen2 = 0.0, trackMSE = 0.0, legacy = 0.0, l2 = 0.0
        var centredRows = 0, nonzeroRows = 0
        var start = 0
        while start < n {
            let rows = min(batchSize, n - start)
            let (codes, xHat) = sae.encodeAndReconstruct(x.rows(start..<(start + rows)))   // (rows, d_sae), (rows, d)
            for i in codes.index { counts[Int(i)] += 1 }
            nnz += codes.nnz
            x.withRows(start..<(start + rows)) { xb in
                xHat.withUnsafeBufferPointer { hb in
                    for r in 0..<rows {
                        var e2 = 0.0, c2 = 0.0, x2 = 0.0, h2 = 0.0
                        for j in 0..<d {
                            let xv = Double(xb[r * d + j]), hv = Double(hb[r * d + j])
                            e2 += (hv - xv) * (hv - xv)
                            c2 += (xv - Double(mean[j])) * (xv - Double(mean[j]))
                            x2 += xv * xv; h2 += hv * hv
                        }
                        err2 += e2; cen2 += c2
                        if c2 > 0 {
                            trackMSE += e2 / c2.squareRoot()
                            legacy += 1 - e2 / c2
                            centredRows += 1
                        }
                        if x2 > 0 {
                            l2 += h2.squareRoot() / x2.squareRoot()
                            nonzeroRows += 1
                        }
                    }
                }
            }
            start += rows
        }
        let freq = counts.map { Float(Double($0) / Double(max(n, 1))) }
        return SAEEvaluation(
            tokens: n, l0: Double(nnz) / Double(max(n, 1)), mse: err2 / Double(max(n * d, 1)),
            saeTrackMSE: trackMSE / Double(max(centredRows * d, 1)), explainedVariance: 1 - err2 / cen2,
            legacyExplainedVariance: legacy / Double(max(centredRows, 1)), l2Ratio: l2 / Double(max(nonzeroRows, 1)),
            deadFraction: Double(counts.filter { $0 == 0 }.count) / Double(m),
            denseFraction: Double(freq.filter { Double($0) > denseThreshold }.count) / Double(m),
            denseThreshold: denseThreshold, firingFrequency: freq,
            densityHistogram: DensityHistogram(frequencies: freq, bins: histogramBins))
    }
}

/// Histogram of log10(frequency + 1e-10) over features, on fixed bins from −10 to 0 (the SAELens
/// "feature density histogram").
public struct DensityHistogram: Codable, Sendable, Equatable {
    /// (bins + 1) bin edges in log10 units.
    public var edges: [Double]
    /// (bins) feature counts; the last bin includes log10 = 0.
    public var counts: [Int]

    public init(frequencies: [Float], bins: Int = 50, lower: Double = -10, upper: Double = 0) {
        edges = (0...bins).map { lower + (upper - lower) * Double($0) / Double(bins) }
        counts = [Int](repeating: 0, count: bins)
        for f in frequencies {
            let v = log10(Double(f) + 1e-10)
            let b = Int(((v - lower) / (upper - lower) * Double(bins)).rounded(.down))
            counts[min(max(b, 0), bins - 1)] += 1
        }
    }
}

/// SAE-Track's `CE_loss_score` (Docs/Method.md §5.3): how much of the LM's loss the SAE's reconstruction
/// recovers, relative to zero-ablating the hook.
public struct CELossRecovered: Codable, Sendable, Equatable {
    public var cleanLoss: Float
    public var reconstructionLoss: Float
    public var zeroAblationLoss: Float
    /// (L_zero − L_recon) / (L_zero − L_clean)
    public var score: Float

    enum CodingKeys: String, CodingKey {
        case cleanLoss = "ce_loss_clean", reconstructionLoss = "ce_loss_with_sae"
        case zeroAblationLoss = "ce_loss_zero_ablation", score = "ce_loss_score"
    }

    /// Splices x̂ (and then zeros) into `model` at `hook` on the token rows (rows, context).
    /// - Parameter centered: whether the SAE was trained on token-centred activations.
    public static func measure(_ sae: SparseAutoencoder, model: TransformerLM, tokens: [Int32], rows: Int,
                               context: Int, hook: HookPoint, centered: Bool) -> CELossRecovered {
        let clean = model.loss(tokens: tokens, rows: rows, context: context)
        let recon = model.loss(tokens: tokens, rows: rows, context: context, replacing: hook, centered: centered) { x in
            sae.reconstruct(x)
        }
        let zero = model.loss(tokens: tokens, rows: rows, context: context, replacing: hook, centered: centered) { x in
            Matrix(rows: x.rows, cols: x.cols)
        }
        return CELossRecovered(cleanLoss: clean, reconstructionLoss: recon, zeroAblationLoss: zero,
                               score: (zero - recon) / (zero - clean))
    }
}
