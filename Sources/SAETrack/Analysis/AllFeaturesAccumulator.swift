import Foundation
import SAETrackMetrics

/// Every feature's density, max activation and drift at every checkpoint
/// (``TrackAnalysis/allFeatures``, written as `features.csv`); only with
/// ``TrackAnalyzer/exportAllFeatures``.
struct AllFeaturesAccumulator: TrackAccumulator {
    private var steps: [Int] = []
    private var density: [[Double]] = [], maxActivation: [[Double]] = []
    private var cosToFinal: [[Double?]] = [], cosToPrevious: [[Double?]] = []

    mutating func add(_ c: AnalysisCheckpoint) {
        steps.append(c.step)
        density.append(c.firing.frequencies)
        var m = [Double](repeating: 0, count: c.sae.dSAE)
        for (k, i) in c.codes.index.enumerated() { m[Int(i)] = max(m[Int(i)], Double(c.codes.value[k])) }
        maxActivation.append(m)
        cosToFinal.append(c.drift.cosineToFinal.map { $0.map(Double.init) })
        cosToPrevious.append(c.drift.cosineToPrevious.map { $0.map(Double.init) })
    }

    func finish(_ analysis: inout TrackAnalysis) {
        analysis.allFeatures = .init(steps: steps, density: density, maxActivation: maxActivation,
                                     cosToFinal: cosToFinal, cosToPrevious: cosToPrevious)
    }
}
