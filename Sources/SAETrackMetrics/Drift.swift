import SAETrackCore
import SAETrackSAE

/// Drift of one checkpoint's decoder directions (Docs/Method.md §8.1–8.2).
public struct DriftCheckpoint: Codable, Equatable, Sendable {
    /// Training step of the checkpoint.
    public var step: Int
    /// cos(W_dec⁽ᶜ⁾[i], W_dec⁽ᶠⁱⁿᵃˡ⁾[i]) per feature; `nil` where the feature is dead at c or at
    /// the final checkpoint. Empty when per-feature values were not kept.
    public var cosineToFinal: [Float?]
    /// cos(W_dec⁽ᶜ⁾[i], W_dec⁽ᶜ⁻¹⁾[i]); `nil` for the first checkpoint and where the feature is
    /// dead at c or c−1. Empty when per-feature values were not kept or for the first checkpoint.
    public var cosineToPrevious: [Float?]
    /// 100 bins on [−1, 1] of the live cosines to final.
    public var histogramToFinal: Histogram
    /// The same for the cosines to the previous checkpoint (`nil` for the first one).
    public var histogramToPrevious: Histogram?
    /// Median over live features of the cosine to final (`nil` if none are live).
    public var medianToFinal: Float?
    /// Median over live features of the cosine to the previous checkpoint.
    public var medianToPrevious: Float?
    /// Mean over live features of the cosine to final.
    public var meanToFinal: Float?
    /// Quantiles ``Drift/quantileLevels`` (10, 25, 50, 75, 90 %) over live features of the cosine
    /// to final, linearly interpolated (numpy's default); empty if none are live.
    public var quantilesToFinal: [Float]
    /// Features masked at this checkpoint (dead here or at the final checkpoint).
    public var maskedFeatures: Int
}

/// Per-feature and population drift of a chain of index-aligned SAEs (Docs/Method.md §8).
///
/// Feature i of every SAE in a SAE-Track chain is the same feature (warm start, Docs/Method.md §5.2),
/// so drift is the index-aligned decoder cosine
///
/// ```
/// cosToFinal_i(c)    = ⟨W_dec⁽ᶜ⁾[i], W_dec⁽ᶠ⁾[i]⟩   / (max(‖W_dec⁽ᶜ⁾[i]‖, ε) · max(‖W_dec⁽ᶠ⁾[i]‖, ε))
/// cosToPrevious_i(c) = ⟨W_dec⁽ᶜ⁾[i], W_dec⁽ᶜ⁻¹⁾[i]⟩ / (…),        ε = 1e-8
/// ```
///
/// histogrammed over all live latents with 100 bins on [−1, 1] (Docs/Method.md §8.2, plotted log-y).
/// A feature dead at c (or at the reference checkpoint) is masked: `nil`, excluded from the
/// histogram, median and mean, and counted in `maskedFeatures`. A non-finite cosine (a NaN
/// decoder row from a diverged SAE) is masked the same way, so results always serialise to JSON.
///
/// Checkpoints are added one at a time, so a chain of large SAEs never has to be in memory at once:
///
/// ```swift
/// var drift = Drift(final: finalSAE.wDec, finalAlive: finalFiring.alive)
/// for (step, sae, firing) in chain { drift.add(step: step, decoder: sae.wDec, alive: firing.alive) }
/// let result = drift.result
/// ```
public struct Drift: Sendable {
    /// The final decoder (d_sae, d_in).
    public let final: Matrix
    /// Live flags at the final checkpoint (all true when no firing data was given).
    public let finalAlive: [Bool]
    /// Whether per-feature cosines are kept (d_sae values per checkpoint) or only the summaries.
    public let keepPerFeature: Bool
    /// Histogram bins (100 as in the method).
    public let bins: Int

    /// The checkpoints added so far, in order.
    public private(set) var checkpoints: [DriftCheckpoint] = []
    private var previous: (decoder: Matrix, alive: [Bool])?

    /// Starts a drift analysis against the final decoder.
    /// - Parameters:
    ///   - final: W_dec of the final SAE, (d_sae, d_in)
    ///   - finalAlive: d_sae live flags at the final checkpoint (`nil`: all live)
    public init(final: Matrix, finalAlive: [Bool]? = nil, keepPerFeature: Bool = true, bins: Int = 100) {
        precondition(finalAlive == nil || finalAlive!.count == final.rows,
                     "Drift: \(finalAlive?.count ?? 0) live flags for \(final.rows) features")
        self.final = final
        self.finalAlive = finalAlive ?? [Bool](repeating: true, count: final.rows)
        self.keepPerFeature = keepPerFeature
        self.bins = bins
    }

    /// Adds the next checkpoint of the chain (increasing steps).
    /// - Parameters:
    ///   - decoder: W_dec at this checkpoint, (d_sae, d_in)
    ///   - alive: d_sae live flags at this checkpoint (`nil`: all live)
    public mutating func add(step: Int, decoder: Matrix, alive: [Bool]? = nil) {
        precondition(decoder.rows == final.rows && decoder.cols == final.cols,
                     "Drift.add: decoder at step \(step) is \(decoder.shape), final is \(final.shape)")
        precondition(alive == nil || alive!.count == decoder.rows,
                     "Drift.add: \(alive?.count ?? 0) live flags for \(decoder.rows) features at step \(step)")
        let live = alive ?? [Bool](repeating: true, count: decoder.rows)
        let toFinal = Drift.masked(CosineMatrix.rowwise(decoder, final), live, finalAlive)
        var toPrevious: [Float?]? = nil
        if let prev = previous {
            toPrevious = Drift.masked(CosineMatrix.rowwise(decoder, prev.decoder), live, prev.alive)
        }
        let liveToFinal = toFinal.compactMap { $0 }
        let liveToPrevious = toPrevious?.compactMap { $0 }
        checkpoints.append(DriftCheckpoint(
            step: step,
            cosineToFinal: keepPerFeature ? toFinal : [],
            cosineToPrevious: keepPerFeature ? (toPrevious ?? []) : [],
            histogramToFinal: Histogram(liveToFinal, bins: bins, lower: -1, upper: 1),
            histogramToPrevious: liveToPrevious.map { Histogram($0, bins: bins, lower: -1, upper: 1) },
            medianToFinal: Drift.median(liveToFinal),
            medianToPrevious: liveToPrevious.flatMap { Drift.median($0) },
            meanToFinal: liveToFinal.isEmpty ? nil
                : Float(liveToFinal.reduce(0.0) { $0 + Double($1) } / Double(liveToFinal.count)),
            quantilesToFinal: Quantile.linear(liveToFinal, levels: Drift.quantileLevels),
            maskedFeatures: toFinal.count - liveToFinal.count))
        previous = (decoder, live)
    }

    /// The whole analysis as a serialisable value.
    public var result: DriftResult { DriftResult(checkpoints: checkpoints) }

    /// The cosine-to-final curve of one feature over the checkpoints added so far
    /// (`nil` where masked). Requires `keepPerFeature`.
    public func curve(feature i: Int) -> [Float?] { result.curve(feature: i) }

    /// Drift of a whole chain held in memory; the last SAE is the final one.
    /// - Parameters:
    ///   - chain: SAEs in checkpoint order
    ///   - steps: their training steps
    ///   - firing: optional firing statistics per checkpoint (dead features are masked)
    public static func analyze(chain: [SparseAutoencoder], steps: [Int], firing: [FeatureFiring]? = nil,
                               keepPerFeature: Bool = true) -> DriftResult {
        precondition(!chain.isEmpty && chain.count == steps.count && (firing == nil || firing!.count == chain.count),
                     "Drift.analyze: \(chain.count) SAEs, \(steps.count) steps, \(firing?.count ?? 0) firing records")
        var drift = Drift(final: chain.last!.wDec, finalAlive: firing?.last?.alive, keepPerFeature: keepPerFeature)
        for (c, sae) in chain.enumerated() {
            drift.add(step: steps[c], decoder: sae.wDec, alive: firing?[c].alive)
        }
        return drift.result
    }

    static func masked(_ cos: [Float], _ a: [Bool], _ b: [Bool]) -> [Float?] {
        (0..<cos.count).map { a[$0] && b[$0] && cos[$0].isFinite ? cos[$0] : nil }
    }

    /// The quantile levels reported per checkpoint.
    public static let quantileLevels: [Double] = [0.1, 0.25, 0.5, 0.75, 0.9]

    /// The median (mean of the two middle values for an even count); `nil` for no values.
    public static func median(_ values: [Float]) -> Float? {
        if values.isEmpty { return nil }
        let s = values.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }
}

/// The serialisable drift analysis of a chain.
public struct DriftResult: Codable, Equatable, Sendable {
    /// One entry per checkpoint in chain order; the last is the final checkpoint.
    public var checkpoints: [DriftCheckpoint]

    /// The drift of these checkpoints (chain order; the last is the final one).
    public init(checkpoints: [DriftCheckpoint]) { self.checkpoints = checkpoints }

    /// Steps of the checkpoints.
    public var steps: [Int] { checkpoints.map(\.step) }

    /// The cosine-to-final of feature `i` at every checkpoint (`nil` where masked).
    public func curve(feature i: Int) -> [Float?] {
        checkpoints.map { $0.cosineToFinal.isEmpty ? nil : $0.cosineToFinal[i] }
    }
}
