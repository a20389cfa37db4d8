import Foundation
import SAETrackMetrics

/// The seed-noise floor (Docs/Method.md §8.4), when some baseline step has two or more finished
/// seeds: at those steps the chain SAE and every seed matched pairwise, and between every two
/// consecutive chain SAEs their one-to-one matched MCC and index-aligned cosine mean.
struct SeedFloorAccumulator: TrackAccumulator {
    /// Baseline steps with two or more finished seeds.
    let seedSteps: Set<Int>
    private var floors: [TrackAnalysis.SeedNoiseFloor.Checkpoint] = []
    private var consecutive: [(mcc: Double?, indexAligned: Double?)] = []
    private var steps: [Int] = []

    init(seedSteps: Set<Int>) { self.seedSteps = seedSteps }

    mutating func add(_ c: AnalysisCheckpoint) {
        steps.append(c.step)
        guard !seedSteps.isEmpty else { return }
        if let p = c.previous {
            let toPrevious = c.drift.cosineToPrevious.compactMap { $0 }.map(Double.init)
            consecutive.append((OneToOneMatching(p.sae.wDec, c.sae.wDec, aliveA: p.firing.alive, aliveB: c.firing.alive).mcc.map(Double.init),
                                toPrevious.isEmpty ? nil : toPrevious.reduce(0, +) / Double(toPrevious.count)))
        }
        if seedSteps.contains(c.step) {
            floors.append(.init(step: c.step, chain: c.sae.wDec, chainAlive: c.firing.alive, scratch: c.baselines.map(\.sae.wDec),
                                scratchAlive: c.baselines.map(\.alive)))
        }
    }

    func finish(_ analysis: inout TrackAnalysis) {
        if !floors.isEmpty { analysis.seedFloor = .init(steps: steps, floors: floors, consecutive: consecutive) }
    }
}
