import Foundation
import SAETrackMetrics

/// The four progress measures (Docs/Method.md §7) on the fixed datapoints at every checkpoint:
/// the tracked features' curves with their detected phases, the population bands, and the
/// random-token baseline. The feature-space measures read the datapoint tokens' rows of the
/// checkpoint's codes (gathered, not encoded again), so every number of the analysis comes from one
/// encode of each checkpoint.
struct FormationAccumulator: TrackAccumulator {
    let features: TrackedFeatureSelection
    private var formation: FormationResult
    private var steps: [Int] = []

    init(features: TrackedFeatureSelection) {
        self.features = features
        formation = FormationResult(datapoints: features.datapoints)
    }

    mutating func add(_ c: AnalysisCheckpoint) {
        let datapoints = features.datapoints
        steps.append(c.step)
        formation.checkpoints.append(ProgressMeasures.measure(step: c.step, representations: datapoints.gather(from: c.activations),
                                                              codes: c.codes.gathering(datapoints.tokens), datapoints: datapoints))
    }

    func finish(_ analysis: inout TrackAnalysis) {
        analysis.progress = []
        analysis.randomBaseline = []
        for measure in ProgressMeasure.allCases {
            let bands = TrackAnalysis.PopulationBands(
                curves: formation.features.map { f in (formation.curve(feature: f, measure) ?? []).map { $0.map(Double.init) } },
                checkpoints: steps.count)
            let curves = formation.features.filter { features.tracked.contains($0) }.map { f -> TrackAnalysis.FeatureCurve in
                let curve = formation.curve(feature: f, measure) ?? []
                let phases = Phases.detect(curve, steps: steps)
                return TrackAnalysis.FeatureCurve(feature: f, label: features.labelSuffix(f), values: curve.map { $0.map(Double.init) },
                                                  onsetStep: phases.onsetStep, settleStep: phases.settleStep)
            }
            analysis.progress.append(.init(measure: TrackAnalyzer.identifier(measure), title: TrackAnalyzer.title(measure), steps: steps,
                                           features: curves, population: bands))
            analysis.randomBaseline.append(.init(measure: TrackAnalyzer.identifier(measure), steps: steps,
                                                 values: formation.checkpoints.map { c in c.baseline[measure].map(Double.init) }))
        }
    }
}
