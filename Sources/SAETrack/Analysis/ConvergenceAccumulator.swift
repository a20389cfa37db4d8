import Foundation
import SAETrackMetrics

/// Warm-vs-scratch training curves (``TrackAnalysis/convergence``): at every baseline step whose
/// seed 0 and chain stage are finished, both runs' logged curves, final explained variances, and
/// the scratch step that first reaches the chain's final explained variance. It reads the track
/// state's training logs only, so it needs nothing from the checkpoints.
struct ConvergenceAccumulator: TrackAccumulator {
    let state: TrackState

    mutating func add(_ c: AnalysisCheckpoint) {}

    func finish(_ analysis: inout TrackAnalysis) {
        analysis.convergence = state.baselines.filter { $0.status == .done && $0.seedIndex == 0 }.compactMap { b -> TrackAnalysis.ConvergenceComparison? in
            guard let s = state.stages.first(where: { $0.step == b.step && $0.status == .done }) else { return nil }
            let target = s.log.last?.explainedVariance ?? 1
            return .init(checkpointStep: b.step, chain: Self.curve(s.log, run: "SAE-Track"), scratch: Self.curve(b.log, run: "from scratch"),
                         chainFinalEV: s.metrics?.explainedVariance ?? .nan, scratchFinalEV: b.metrics?.explainedVariance ?? .nan,
                         scratchStepsToMatchChain: b.log.first { $0.explainedVariance >= target }?.step)
        }
    }

    static func curve(_ log: [TrainingPoint], run: String) -> TrackAnalysis.TrainingCurve {
        .init(run: run, steps: log.map(\.step), loss: log.map(\.loss), mse: log.map(\.mse), l0: log.map(\.l0),
              explainedVariance: log.map(\.explainedVariance))
    }
}
