import Foundation
import SAETrackMetrics

/// Every feature's life over the chain (births, deaths, planted labels gained and lost, with
/// contexts): ``TrackAnalysis/lifeHistory``, built by ``FeatureLifeHistoryBuilder``.
struct LifeHistoryAccumulator: TrackAccumulator {
    private var builder: FeatureLifeHistoryBuilder

    init(builder: FeatureLifeHistoryBuilder) { self.builder = builder }

    mutating func add(_ c: AnalysisCheckpoint) {
        builder.add(step: c.step, codes: c.codes, alive: c.firing.alive, aurocs: c.aurocs, groundTruth: c.groundTruth)
    }

    func finish(_ analysis: inout TrackAnalysis) { analysis.lifeHistory = builder.result }
}
