import Foundation
import SAETrackCore
import SAETrackMetrics

/// PCA trajectories of the first six tracked features' decoder rows over the checkpoints (three
/// or more checkpoints needed).
struct PCAAccumulator: TrackAccumulator {
    let features: TrackedFeatureSelection
    private var rows: [Int: [Float]] = [:]              // feature → stacked decoder rows (C·d_in)
    private var steps: [Int] = []
    private var dIn = 0

    init(features: TrackedFeatureSelection) { self.features = features }

    private var followed: ArraySlice<Int> { features.tracked.prefix(6) }

    mutating func add(_ c: AnalysisCheckpoint) {
        steps.append(c.step)
        dIn = c.sae.dIn
        for f in followed { rows[f, default: []].append(contentsOf: c.sae.wDec.row(f)) }
    }

    func finish(_ analysis: inout TrackAnalysis) {
        analysis.trajectories = []
        for f in followed where steps.count >= 3 {
            let stacked = Matrix(rows: steps.count, cols: dIn, storage: rows[f]!)
            if let t = try? PCATrajectory(feature: f, rows: stacked, steps: steps) {
                analysis.trajectories.append(.init(feature: f, label: features.labelSuffix(f), steps: steps, pc1: t.points.map { Double($0[0]) },
                                                   pc2: t.points.map { Double($0.count > 1 ? $0[1] : 0) },
                                                   explainedVariance: t.explainedVarianceRatio.map(Double.init)))
            }
        }
    }
}
