import Foundation
import SAETrackCore
import SAETrackMetrics

/// Decoder drift (Docs/Method.md §8): the to-final quantiles and to-previous median per
/// checkpoint, the sampled features' curves, five cosine histograms, and the warm-vs-scratch
/// dictionaries at the final step (matched one to one) when seed 0 of its baseline is finished.
struct DriftAccumulator: TrackAccumulator {
    let features: TrackedFeatureSelection
    private var checkpoints: [DriftCheckpoint] = []
    private var scratch: TrackAnalysis.ChainScratchComparison?

    init(features: TrackedFeatureSelection) { self.features = features }

    mutating func add(_ c: AnalysisCheckpoint) {
        checkpoints.append(c.drift)
        if c.isFinal, let b = c.baselines.first(where: { $0.seedIndex == 0 }) {
            scratch = .init(step: c.step, chain: c.sae.wDec, chainAlive: c.firing.alive, scratch: b.sae.wDec, scratchAlive: b.alive)
        }
    }

    func finish(_ analysis: inout TrackAnalysis) {
        let result = DriftResult(checkpoints: checkpoints), steps = result.steps
        let quantiles = checkpoints.map { c -> [Double] in
            let v = c.cosineToFinal.compactMap { $0 }.map(Double.init).sorted()
            return v.isEmpty ? [] : [0.1, 0.25, 0.5, 0.75, 0.9].map { Quantile.linear(sorted: v, $0) }
        }
        analysis.drift = TrackAnalysis.DriftSummary(
            steps: steps, toFinalQuantiles: quantiles,
            toPreviousMedian: checkpoints.map { $0.medianToPrevious.map(Double.init) },
            scratch: scratch,
            features: features.driftSample.map { f in
                TrackAnalysis.FeatureCurve(feature: f, label: features.labelSuffix(f), values: result.curve(feature: f).map { $0.map(Double.init) })
            })
        analysis.cosineHistograms = TrackAnalyzer.snapshotIndices(count: steps.count - 1, snapshots: 5).map { i in
            let h = checkpoints[i].histogramToFinal
            return .init(step: steps[i], finalStep: steps.last!, edges: h.edges.map(Double.init), counts: h.counts.map(Double.init))
        }
    }
}
