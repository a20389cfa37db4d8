import Foundation
import SAETrackMetrics

/// The per-checkpoint table (``TrackAnalysis/summary``): each stage's recorded metrics beside its
/// median drift to the final and the previous decoder.
struct CheckpointTableAccumulator: TrackAccumulator {
    private var rows: [TrackAnalysis.CheckpointSummary] = []

    mutating func add(_ c: AnalysisCheckpoint) {
        let s = c.stage, m = s.metrics
        rows.append(.init(step: s.step, lmLoss: m?.lmLoss, saeLoss: m?.loss ?? .nan, mse: m?.mse ?? .nan, l0: m?.l0 ?? .nan,
                          explainedVariance: m?.explainedVariance ?? .nan, deadFraction: m?.deadFraction ?? .nan,
                          ceRecovered: Self.ceRecovered(m), reconstructedLoss: m?.reconstructedLoss, zeroAblatedLoss: m?.zeroAblatedLoss,
                          cosToFinalMedian: c.drift.medianToFinal.map(Double.init) ?? .nan,
                          cosToPreviousMedian: c.drift.medianToPrevious.map(Double.init), saeTrainingSteps: s.trainingSteps))
    }

    func finish(_ analysis: inout TrackAnalysis) { analysis.summary = rows }

    /// CE recovered where it is defined: zero-ablation must raise the loss above the clean loss.
    static func ceRecovered(_ m: StageMetrics?) -> Double? {
        guard let m, let clean = m.lmLoss, let zero = m.zeroAblatedLoss, zero > clean else { return nil }
        return m.ceRecovered
    }
}
