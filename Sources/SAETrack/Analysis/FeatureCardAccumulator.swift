import Foundation
import SAETrackMetrics

/// The tracked features' cards: a label at every checkpoint and, at the card checkpoints, the
/// snapshot (density, histogram, top and quantile contexts, logit lens), built by
/// ``FeatureCardBuilder``; the semantic kind from ``SemanticEvolution`` at the card checkpoints;
/// the formed step from the weighted-Jaccard progress curve (so it finishes after
/// ``FormationAccumulator``).
struct FeatureCardAccumulator: TrackAccumulator {
    let features: TrackedFeatureSelection
    /// Steps with a full snapshot.
    let cardSteps: [Int]
    /// Evaluation tokens and their context length (nil: no contexts, no semantic kinds).
    let inputs: (tokens: [Int32], context: Int)?
    /// Read each card checkpoint's model for the logit lens.
    let logitLens: Bool
    private var cards: FeatureCardBuilder
    private var semantic: SemanticEvolution
    private var lensMissing: [Int] = []
    private var finalAlive: [Bool] = []

    init(features: TrackedFeatureSelection, cardSteps: [Int], inputs: (tokens: [Int32], context: Int)?, logitLens: Bool,
         decode: (([Int32]) -> [String])?) {
        self.features = features; self.cardSteps = cardSteps; self.inputs = inputs; self.logitLens = logitLens
        cards = FeatureCardBuilder(features: features.tracked, tokens: inputs?.tokens, context: inputs?.context ?? 1, decode: decode)
        semantic = SemanticEvolution(features: features.tracked)
    }

    mutating func add(_ c: AnalysisCheckpoint) {
        let isCardStep = cardSteps.contains(c.step)
        if let inputs, isCardStep {
            var top = TopActivations(features: c.sae.dSAE, k: semantic.rule.k)
            top.add(codes: c.codes, firstToken: 0)
            semantic.add(step: c.step, top: top, tokens: inputs.tokens, context: inputs.context)
        }
        var lens: LogitLens?
        if isCardStep && logitLens {
            lens = try? LogitLens(modelDirectory: URL(fileURLWithPath: c.stage.checkpoint))
            if lens == nil || lens!.unembedding.cols != c.sae.dIn { lens = nil; lensMissing.append(c.step) }
        }
        cards.add(step: c.step, sae: c.sae, codes: c.codes, groundTruth: c.groundTruth,
                  threshold: TrackFindings.formationThreshold, snapshot: isCardStep, lens: lens)
        if c.isFinal { finalAlive = c.firing.alive }
    }

    func finish(_ analysis: inout TrackAnalysis) {
        let kinds = Dictionary(semantic.checkpoints.flatMap { cp in cp.features.map { ($0.feature, $0.label.rawValue) } }, uniquingKeysWith: { _, b in b })
        let settle = Dictionary(uniqueKeysWithValues: (analysis.progress.first { $0.measure == "weighted_jaccard" }?.features ?? []).map { ($0.feature, $0.settleStep) })
        analysis.featureCards = features.tracked.map { f -> TrackAnalysis.FeatureCard in
            let row = cards.labels[f] ?? []
            let last = row.last
            let lostPlanted = row.dropLast().contains { $0.source == "planted" && !($0.text == last?.text && last?.source == "planted") }
            let died = last?.source == "dead" && row.dropLast().contains { $0.source != "dead" }
            let planted = features.plantedLabel[f]
            let description = planted.map { "best match for planted “\($0)”" } ?? "randomly chosen live feature"
            return TrackAnalysis.FeatureCard(feature: f, kind: kinds[f] ?? "unlabelled", description: description, plantedLabel: planted,
                                             labels: row, snapshots: cards.snapshots[f] ?? [], aliveAtFinal: finalAlive[f],
                                             formedStep: settle[f] ?? nil, dissolved: lostPlanted || died)
        }
        if !lensMissing.isEmpty && logitLens {
            analysis.warnings.append("logit lens unavailable at step\(lensMissing.count == 1 ? "" : "s") \(lensMissing.map(String.init).joined(separator: ", ")): no readable model directory whose d_model matches the SAE's d_in")
        }
    }
}
