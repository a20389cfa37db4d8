import Foundation
import SAETrackCore
import SAETrackMetrics

/// Collects what the feature cards need while the analysis walks the chain: per checkpoint, each
/// tracked feature's activation at every evaluation token (from the checkpoint's sparse codes),
/// its label, and at the card checkpoints the full snapshot (distribution, contexts, logit lens).
struct FeatureCardBuilder {
    let features: [Int]
    let tokens: [Int32]?
    let context: Int
    let decode: (([Int32]) -> [String])?
    /// Tokens shown before and after the focus token of a context.
    var before = 24
    var after = 6
    var topContexts = 5
    var perBand = 2
    var logitTokens = 8
    /// Quantile bands of the non-zero activations sampled besides the top contexts.
    static let bands: [(Double, Double)] = [(0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 0.95)]

    private(set) var labels: [Int: [TrackAnalysis.FeatureCard.StepLabel]] = [:]
    private(set) var snapshots: [Int: [TrackAnalysis.FeatureCard.Snapshot]] = [:]

    init(features: [Int], tokens: [Int32]?, context: Int, decode: (([Int32]) -> [String])?) {
        self.features = features; self.tokens = tokens; self.context = max(1, context); self.decode = decode
    }

    /// Each tracked feature's activation at every token: columns of `codes` (N, d_sae).
    func columns(_ codes: SparseRows) -> [Int: [Float]] {
        var slot = [Int: Int]()
        for (i, f) in features.enumerated() { slot[f] = i }
        var cols = [[Float]](repeating: [Float](repeating: 0, count: codes.rows), count: features.count)
        for r in 0..<codes.rows {
            for k in codes.rowStart[r]..<codes.rowStart[r + 1] {
                if let s = slot[Int(codes.index[k])] { cols[s][r] = codes.value[k] }
            }
        }
        return Dictionary(uniqueKeysWithValues: features.enumerated().map { ($0.element, cols[$0.offset]) })
    }

    func text(_ ids: [Int32]) -> [String] { decode?(ids) ?? ids.map { "#\($0) " } }

    /// The label of `feature` at one checkpoint.
    func label(step: Int, feature f: Int, column: [Float], groundTruth: GroundTruthCheckpoint?, threshold: Double) -> TrackAnalysis.FeatureCard.StepLabel {
        let planted = groundTruth?.labels.filter { $0.bestFeature == f && ($0.auroc ?? 0) >= threshold } ?? []
        if !planted.isEmpty {
            return .init(step: step, text: planted.map(\.label).joined(separator: " / "), source: "planted", auroc: planted.compactMap(\.auroc).max())
        }
        let dist = ActivationDistribution(activations: column, bins: 1)
        guard dist.firing > 0 else { return .init(step: step, text: "dead", source: "dead") }
        guard let tokens else { return .init(step: step, text: "fires on \(dist.firing) tokens", source: "top_tokens") }
        // The most frequent tokens among the top 20 activations.
        var counts: [Int32: Int] = [:]
        for (t, _) in dist.sorted.suffix(20) { counts[tokens[t], default: 0] += 1 }
        let common = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
        let names = common.map { id, _ in text([id]).joined().trimmingCharacters(in: .whitespacesAndNewlines) }
        return .init(step: step, text: names.map { $0.isEmpty ? "␣" : $0 }.joined(separator: " / "), source: "top_tokens")
    }

    /// A context window around flat token `t` with the feature's activations over it.
    func contextWindow(_ t: Int, column: [Float], band: String?) -> TrackAnalysis.FeatureCard.Context {
        let row = t / context, pos = t % context
        let lo = max(0, pos - before), hi = min(context - 1, pos + after)
        let flat = (lo...hi).map { row * context + $0 }
        let ids = tokens.map { tk in flat.map { tk[$0] } } ?? flat.map { Int32($0) }
        return .init(activation: Double(column[t]), tokens: text(ids), activations: flat.map { Double(column[$0]) },
                     position: pos - lo, band: band)
    }

    mutating func add(step: Int, sae: SparseAutoencoder, codes: SparseRows, groundTruth: GroundTruthCheckpoint?, threshold: Double,
                      snapshot: Bool, lens: LogitLens?) {
        let cols = columns(codes)
        for f in features {
            let column = cols[f]!
            labels[f, default: []].append(label(step: step, feature: f, column: column, groundTruth: groundTruth, threshold: threshold))
            guard snapshot else { continue }
            let dist = ActivationDistribution(activations: column)
            let top = dist.sorted.suffix(topContexts).reversed().map { contextWindow($0.token, column: column, band: nil) }
            let names = Self.bands.map { "\(Int($0.0 * 100))–\(Int($0.1 * 100)) %" }
            let samples = dist.samples(bands: Self.bands, perBand: perBand).map { contextWindow($0.token, column: column, band: names[$0.band]) }
            var logit: TrackAnalysis.FeatureCard.LogitTokens?
            if let lens, lens.unembedding.cols == sae.dIn {
                let e = lens.extremes(sae.wDec.row(f), k: logitTokens)
                func score(_ p: (Int32, Float)) -> TrackAnalysis.FeatureCard.TokenScore {
                    .init(token: text([p.0]).joined(), id: Int(p.0), logit: Double(p.1))
                }
                logit = .init(top: e.top.map(score), bottom: e.bottom.map(score))
            }
            snapshots[f, default: []].append(.init(step: step, density: dist.density, maxActivation: dist.maxActivation,
                                                   histogramEdges: dist.edges, histogramCounts: dist.counts,
                                                   top: Array(top), quantileSamples: samples, logitLens: logit))
        }
    }
}
