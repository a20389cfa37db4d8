import Foundation
import SAETrackLM
import SAETrackMetrics

/// Ground truth of the planted labels (when the evaluation inputs carry them): each label's AUROC
/// curve of its best live feature and when it formed, and, when the series' curriculum is known,
/// its onsets and dissolutions compared with the detected ones (``TrackAnalysis/CurriculumTiming``).
struct GroundTruthAccumulator: TrackAccumulator {
    /// Each planted label's kind.
    let kinds: [String: String]
    /// The planted features' schedule (nil or empty: no curriculum timing).
    let curriculum: [PlantedFeatureWindow]?
    private var checkpoints: [GroundTruthCheckpoint] = []
    private var steps: [Int] = []

    init(kinds: [String: String], curriculum: [PlantedFeatureWindow]?) { self.kinds = kinds; self.curriculum = curriculum }

    mutating func add(_ c: AnalysisCheckpoint) {
        steps.append(c.step)
        if let g = c.groundTruth { checkpoints.append(g) }
    }

    func finish(_ analysis: inout TrackAnalysis) {
        let formation = GroundTruth.formation(checkpoints, threshold: TrackFindings.formationThreshold)
        analysis.groundTruth = formation.enumerated().map { li, l in
            TrackAnalysis.GroundTruthCurve(name: l.label, kind: kinds[l.label] ?? "unknown", steps: steps, auroc: l.aurocCurve,
                                           bestFeature: checkpoints.map { $0.labels[li].bestFeature }, formedStep: l.formedAtStep)
        }
        if let curriculum, !curriculum.isEmpty, !analysis.groundTruth.isEmpty {
            analysis.curriculum = .compare(windows: curriculum, groundTruth: analysis.groundTruth, threshold: TrackFindings.formationThreshold)
        }
    }
}
