import Foundation
import SAETrackCore
import SAETrackMetrics
import SAETrackSAE

/// The features the analysis follows, chosen once from the final checkpoint before the chain is
/// walked: the tracked features (best matches of planted labels, round-robin over their kinds, then
/// seeded random live features), the per-feature drift sample, and the progress measures' fixed
/// datapoints (top-activating tokens under the final SAE, and the random-token baseline).
struct TrackedFeatureSelection {
    /// Tracked features, planted matches first.
    let tracked: [Int]
    /// Planted label of each tracked feature that is a best match.
    let plantedLabel: [Int: String]
    /// Features with a curve in the per-feature drift figure, increasing.
    let driftSample: [Int]
    let datapoints: FormationDatapoints

    /// - Parameters:
    ///   - sae, activations, codes, alive: the final checkpoint's SAE, evaluation activations,
    ///     codes and live flags
    ///   - groundTruth: the planted labels' best matches under the final SAE (nil without labels)
    ///   - kinds: each planted label's kind (token, concept, structural, …)
    init(sae: SparseAutoencoder, activations: Matrix, codes: SparseRows, alive liveFlags: [Bool], groundTruth: GroundTruthCheckpoint?,
         kinds: [String: String], context: Int, settings a: TrackAnalyzer) {
        var tracked: [Int] = []
        var plantedLabel: [Int: String] = [:]
        // Round-robin over label kinds so every kind is represented, up to
        // `trackedFeatures − randomFeatures` planted matches; the rest are seeded random live features.
        var queues = Dictionary(grouping: groundTruth?.labels.filter { $0.bestFeature != nil } ?? []) { kinds[$0.label] ?? "" }
        let kindOrder = ["token", "concept", "structural"] + queues.keys.filter { !["token", "concept", "structural"].contains($0) }.sorted()
        let plantedBudget = max(0, a.trackedFeatures - a.randomFeatures)
        while tracked.count < plantedBudget, queues.values.contains(where: { !$0.isEmpty }) {
            for kind in kindOrder where tracked.count < plantedBudget && !(queues[kind]?.isEmpty ?? true) {
                let m = queues[kind]!.removeFirst()
                if let f = m.bestFeature, !tracked.contains(f) { tracked.append(f); plantedLabel[f] = m.label }
            }
        }
        var rng = SeededRandom(seed: a.seed)
        let alive = liveFlags.indices.filter { liveFlags[$0] }
        for f in rng.permutation(alive.count).map({ alive[$0] }) where tracked.count < a.trackedFeatures && !tracked.contains(f) {
            tracked.append(f)
        }
        driftSample = rng.permutation(alive.count).prefix(a.driftFeatures).map { alive[$0] }.sorted()

        var top = TopActivations(features: sae.dSAE, k: 25)
        top.add(codes: codes, firstToken: 0)
        let baseline = RandomTokenBaseline.sample(rows: activations.rows / context, context: context, count: a.baselineTokens, seed: a.seed)
        // The population: every live feature (a seeded sample of `populationFeatures` when more), tracked ones included.
        let population = Array(Set(tracked + rng.permutation(alive.count).prefix(a.populationFeatures).map { alive[$0] })).sorted()
        datapoints = FormationDatapoints(top: top, features: population, baseline: baseline)
        self.tracked = tracked
        self.plantedLabel = plantedLabel
    }

    /// "(label)" for a planted match, "" otherwise: the suffix of a feature's name in the figures.
    func labelSuffix(_ f: Int) -> String { plantedLabel[f].map { "(\($0))" } ?? "" }
}
