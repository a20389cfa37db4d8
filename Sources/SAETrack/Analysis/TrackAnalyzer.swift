import Foundation
import SAETrackCore
import SAETrackIO
import SAETrackLM
import SAETrackSAE
import SAETrackMetrics

/// Computes a `TrackAnalysis` from a finished (or partly finished) track directory using
/// SAETrackMetrics: drift (Docs/Method.md §8), the four progress measures with the random baseline
/// (§7) and their population bands, automatic phases, ground-truth AUROC of planted features, PCA
/// trajectories, feature cards (label at every checkpoint; density, histogram, top and quantile
/// contexts and logit lens at card checkpoints), the per-checkpoint table and the warm-vs-scratch
/// comparison (training curves, and dictionaries matched one to one).
///
/// Everything runs on the evaluation activations cached by the chain
/// (`cache/eval-step{N}.safetensors`), so no language model is run; only the logit lens reads
/// the card checkpoints' unembedding and final LayerNorm weights (skipped with a warning when the
/// checkpoint directories are not readable).
public struct TrackAnalyzer {
    public var directory: URL
    /// Features followed in the progress, trajectory and card figures: best matches of planted
    /// labels (round-robin over their kinds) and at least `randomFeatures` seeded random live features.
    public var trackedFeatures = 10
    public var randomFeatures = 3
    /// Features with a curve in the per-feature drift figure.
    public var driftFeatures = 6
    /// Live features in the progress measures' population bands (a seeded sample when more are alive).
    public var populationFeatures = 512
    /// Random tokens of the progress-measure baseline (Docs/Method.md §7.3).
    public var baselineTokens = 100
    /// Checkpoints shown in each feature card.
    public var cardSnapshots = 4
    /// Contexts per card snapshot.
    public var contextsPerSnapshot = 3
    public var seed: UInt64 = 42
    /// Renders token ids as text pieces for feature cards (nil: "#id"); see ``TokenDecoding``.
    public var decode: (([Int32]) -> [String])?
    /// Also collect every feature's density, max activation and drift at every checkpoint
    /// (``TrackAnalysis/allFeatures``, written as `features.csv`).
    public var exportAllFeatures = false
    /// Read each card checkpoint's model for the logit lens (when its directory is readable).
    public var logitLens = true
    /// The planted features' schedule the series was trained with (nil: read from the series'
    /// `training_log.json` when it records one); its onsets and dissolutions are compared with the
    /// detected ones (``TrackAnalysis/CurriculumTiming``).
    public var curriculum: [PlantedFeatureWindow]?
    /// Title of the report.
    public var title = "SAE-Track report"
    /// Model description for the report header.
    public var modelDescription = ""
    public var progress: (String) -> Void = StandardError.writeLine

    public init(directory: URL) { self.directory = directory }

    private func evalActivations(step: Int) throws -> Matrix {
        try SafetensorsFile(contentsOf: directory.appendingPathComponent("cache/eval-step\(step).safetensors")).matrix("activations")
    }

    /// Runs the whole analysis: reads and encodes each finished checkpoint once (the final one
    /// first, to choose the followed features), hands it to every accumulator in step order, then
    /// lets each write its part of the analysis.
    public func analyze() throws -> TrackAnalysis {
        let state = try TrackState.read(from: directory)
        let stages = state.stages.filter { $0.status == .done }.sorted { $0.step < $1.step }
        guard let finalStage = stages.last else { throw TrackError.invalidCheckpoints("\(directory.path): no finished stage to analyse") }
        let inputs = try EvaluationInputs.read(from: directory)
        var warnings = state.warnings
        let final = try encode(finalStage, labels: [])
        if let inputs, inputs.tokens.count != final.activations.rows {
            warnings.append("evaluation tokens (\(inputs.tokens.count)) do not match the cached activations (\(final.activations.rows)); contexts and labels ignored")
        }
        let usable = inputs.flatMap { $0.tokens.count == final.activations.rows ? $0 : nil }
        let labels = usable?.labels.map { PlantedLabel(name: $0.name, mask: $0.mask) } ?? []
        let finalGT = labels.isEmpty ? nil : GroundTruth.evaluate(step: finalStage.step, codes: final.codes, labels: labels)
        let kinds = Dictionary(uniqueKeysWithValues: (usable?.labels ?? []).map { ($0.name, $0.kind) })
        let features = TrackedFeatureSelection(sae: final.sae, activations: final.activations, codes: final.codes, alive: final.firing.alive,
                                               groundTruth: finalGT, kinds: kinds, context: usable?.context ?? 1, settings: self)
        // Baseline steps with two or more finished seeds: the seed-noise floor.
        let seedSteps = Set(Dictionary(grouping: state.baselines.filter { $0.status == .done }, by: \.step).filter { $0.value.count >= 2 }.keys)
        let cardSteps = Self.snapshotIndices(count: stages.count, snapshots: cardSnapshots).map { stages[$0].step }
        let windows = curriculum ?? (try? TrainingLog.read(from: URL(fileURLWithPath: state.config.series)))?.curriculum
        var accumulators: [any TrackAccumulator] = [
            CheckpointTableAccumulator(), DriftAccumulator(features: features), FormationAccumulator(features: features),
            GroundTruthAccumulator(kinds: kinds, curriculum: windows),
            LifeHistoryAccumulator(builder: FeatureLifeHistoryBuilder(labels: labels.map(\.name), threshold: TrackFindings.formationThreshold,
                                                                      tokens: usable?.tokens, context: usable?.context ?? 1, decode: decode)),
            FeatureCardAccumulator(features: features, cardSteps: cardSteps, inputs: usable.map { ($0.tokens, $0.context) },
                                   logitLens: logitLens, decode: decode),
            PCAAccumulator(features: features), SeedFloorAccumulator(seedSteps: seedSteps), ConvergenceAccumulator(state: state),
        ]
        if exportAllFeatures { accumulators.append(AllFeaturesAccumulator()) }
        if let h = HeadToHeadAccumulator.make(directory: directory, state: state, labels: labels, kinds: kinds, windows: windows,
                                              warnings: &warnings) {
            accumulators.append(h)
        }

        var drift = SAETrackMetrics.Drift(final: final.sae.wDec, finalAlive: final.firing.alive)
        var previous: (sae: SparseAutoencoder, firing: FeatureFiring)?
        for (c, stage) in stages.enumerated() {
            progress("analyze: checkpoint \(c + 1)/\(stages.count) (step \(stage.step))")
            let isFinal = c == stages.count - 1
            let e = isFinal ? final : try encode(stage, labels: labels)
            drift.add(step: stage.step, decoder: e.sae.wDec, alive: e.firing.alive)
            let done = state.baselines.filter { $0.step == stage.step && $0.status == .done }.sorted { $0.seedIndex < $1.seedIndex }
            // Every seed at a seed-floor step; elsewhere seed 0 (the warm-vs-scratch comparison at
            // the final step, the independent SAEs of the head-to-head at every baseline step).
            let read = seedSteps.contains(stage.step) ? done : Array(done.filter { $0.seedIndex == 0 }.prefix(1))
            let baselines = try read.map { b -> AnalysisCheckpoint.Baseline in
                let sae = try TrackSAEFiles.read(from: directory.appendingPathComponent(b.sae))
                let codes = sae.encode(e.activations)
                return .init(seedIndex: b.seedIndex, sae: sae, codes: codes, alive: FeatureFiring(codes).alive)
            }
            let checkpoint = AnalysisCheckpoint(
                index: c, count: stages.count, stage: stage, sae: e.sae, activations: e.activations, codes: e.codes, firing: e.firing,
                drift: drift.checkpoints.last!, groundTruth: isFinal ? finalGT : e.groundTruth,
                aurocs: labels.isEmpty ? nil : GroundTruth.aurocs(codes: e.codes, labels: labels), baselines: baselines, previous: previous)
            for i in accumulators.indices { try accumulators[i].add(checkpoint) }
            previous = (e.sae, e.firing)
        }

        var analysis = TrackAnalysis(meta: meta(state: state, steps: stages.map(\.step), evaluationTokens: final.activations.rows), warnings: warnings)
        for a in accumulators { a.finish(&analysis) }
        return analysis
    }

    /// A checkpoint's SAE and evaluation activations, encoded once, with its firing and (given
    /// planted labels) its ground truth.
    private func encode(_ stage: TrackStage, labels: [PlantedLabel])
        throws -> (sae: SparseAutoencoder, activations: Matrix, codes: SparseRows, firing: FeatureFiring, groundTruth: GroundTruthCheckpoint?) {
        let sae = try TrackSAEFiles.read(from: directory.appendingPathComponent(stage.sae))
        let activations = try evalActivations(step: stage.step)
        let codes = sae.encode(activations)
        return (sae, activations, codes, FeatureFiring(codes),
                labels.isEmpty ? nil : GroundTruth.evaluate(step: stage.step, codes: codes, labels: labels))
    }

    /// The report's provenance: settings of the track and notes on the method.
    private func meta(state: TrackState, steps: [Int], evaluationTokens: Int) -> TrackAnalysis.Meta {
        let first = state.config.firstStage, cont = state.config.continualStage
        return TrackAnalysis.Meta(
            title: title, model: modelDescription.isEmpty ? state.config.series : modelDescription, hook: state.config.hook,
            centered: state.config.centered, dIn: state.dIn, dSAE: state.dSAE, steps: steps, order: state.config.order.rawValue,
            evaluationTokens: evaluationTokens, firstStageSteps: first.steps, continualStageSteps: cont.steps,
            notes: [
                "First stage: lr \(first.lr), warm-up \(first.warmupSteps), l1 \(first.l1Coefficient), batch \(first.batchSize) tokens; continual: lr \(cont.lr), warm-up \(cont.warmupSteps), l1 \(cont.l1Coefficient).",
                "Progress-measure datapoints: top-25 activating evaluation tokens of each feature under the final SAE and model; random baseline of \(baselineTokens) seeded tokens (Docs/Method.md §7).",
                "Dead features (never firing on the evaluation tokens) are masked in drift and excluded from datapoint selection.",
                "Baselines: \(state.config.baselineBudget == .cumulative ? "same number of SAE steps as the whole chain up to that checkpoint" : "as many steps as the first stage"), first-stage settings, same activations"
                    + (state.config.baselineSeeds > 1 ? "; \(state.config.baselineSeeds) seeds at each baseline step (the seed-noise floor)." : "."),
            ])
    }

    /// The measure's name in every output (JSON and CSV): snake_case.
    static func identifier(_ m: ProgressMeasure) -> String {
        switch m {
        case .activationCosine: return "activation_cosine"
        case .featureCosine: return "feature_cosine"
        case .weightedJaccard: return "weighted_jaccard"
        case .binaryJaccard: return "binary_jaccard"
        }
    }

    static func title(_ m: ProgressMeasure) -> String {
        switch m {
        case .activationCosine: return "Activation space (cosine)"
        case .featureCosine: return "Feature space (cosine)"
        case .weightedJaccard: return "Feature space (weighted Jaccard)"
        case .binaryJaccard: return "Feature space (binary Jaccard)"
        }
    }

    /// `snapshots` indices spread over 0..<count, always including the first and the last.
    static func snapshotIndices(count: Int, snapshots: Int) -> [Int] {
        guard count > 0 else { return [] }
        guard count > snapshots else { return Array(0..<count) }
        return Array(Set((0..<snapshots).map { Int((Double($0) * Double(count - 1) / Double(snapshots - 1)).rounded()) })).sorted()
    }
}
