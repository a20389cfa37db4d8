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

    /// Runs the whole analysis.
    public func analyze() throws -> TrackAnalysis {
        let state = try TrackState.read(from: directory)
        let stages = state.stages.filter { $0.status == .done }.sorted { $0.step < $1.step }
        guard let finalStage = stages.last else { throw TrackError.invalidCheckpoints("\(directory.path): no finished stage to analyse") }
        let steps = stages.map(\.step)
        let inputs = try EvaluationInputs.read(from: directory)
        let final = try TrackSAEFiles.read(from: directory.appendingPathComponent(finalStage.sae))
        let finalEval = try evalActivations(step: finalStage.step)
        let finalFiring = FeatureFiring(sae: final, activations: finalEval)
        var warnings = state.warnings
        if let inputs, inputs.tokens.count != finalEval.rows {
            warnings.append("evaluation tokens (\(inputs.tokens.count)) do not match the cached activations (\(finalEval.rows)); contexts and labels ignored")
        }
        let usable = inputs.flatMap { $0.tokens.count == finalEval.rows ? $0 : nil }
        let labels = usable?.labels.map { PlantedLabel(name: $0.name, mask: $0.mask) } ?? []
        let context = usable?.context ?? 1

        // Features to follow: best match of each planted label under the final SAE, then seeded random live ones.
        let finalGT = labels.isEmpty ? nil : GroundTruth.evaluate(step: finalStage.step, sae: final, activations: finalEval, labels: labels)
        // Round-robin over label kinds (token, concept, structural, …) so every kind is represented,
        // up to `trackedFeatures − randomFeatures` planted matches; the rest are seeded random live features.
        var tracked: [Int] = []
        var trackedLabel: [Int: String] = [:]
        let kindOf = Dictionary(uniqueKeysWithValues: (usable?.labels ?? []).map { ($0.name, $0.kind) })
        var queues = Dictionary(grouping: finalGT?.labels.filter { $0.bestFeature != nil } ?? []) { kindOf[$0.label] ?? "" }
        let kindOrder = ["token", "concept", "structural"] + queues.keys.filter { !["token", "concept", "structural"].contains($0) }.sorted()
        let plantedBudget = max(0, trackedFeatures - randomFeatures)
        while tracked.count < plantedBudget, queues.values.contains(where: { !$0.isEmpty }) {
            for kind in kindOrder where tracked.count < plantedBudget && !(queues[kind]?.isEmpty ?? true) {
                let m = queues[kind]!.removeFirst()
                if let f = m.bestFeature, !tracked.contains(f) { tracked.append(f); trackedLabel[f] = m.label }
            }
        }
        var rng = SeededRandom(seed: seed)
        let alive = finalFiring.alive.indices.filter { finalFiring.alive[$0] }
        for f in rng.permutation(alive.count).map({ alive[$0] }) where tracked.count < trackedFeatures && !tracked.contains(f) {
            tracked.append(f)
        }
        let driftSample = rng.permutation(alive.count).prefix(driftFeatures).map { alive[$0] }.sorted()

        var top = TopActivations(features: final.dSAE, k: 25)
        top.add(sae: final, activations: finalEval)
        let baseline = RandomTokenBaseline.sample(rows: finalEval.rows / context, context: context, count: baselineTokens, seed: seed)
        // The population: every live feature (a seeded sample of `populationFeatures` when more), tracked ones included.
        let population = Array(Set(tracked + rng.permutation(alive.count).prefix(populationFeatures).map { alive[$0] })).sorted()
        let datapoints = FormationDatapoints(top: top, features: population, baseline: baseline)
        var semantic = SemanticEvolution(features: tracked)
        var drift = SAETrackMetrics.Drift(final: final.wDec, finalAlive: finalFiring.alive)
        var formation = FormationResult(datapoints: datapoints)
        var groundTruth: [GroundTruthCheckpoint] = []
        var decoderRows = [Int: [Float]]()                   // feature → stacked rows (C·d_in)
        var scratchComparison: TrackAnalysis.ChainScratchComparison?
        let cardSteps = Self.snapshotIndices(count: steps.count, snapshots: cardSnapshots).map { steps[$0] }
        var cards = FeatureCardBuilder(features: tracked, tokens: usable?.tokens, context: context, decode: decode)
        var lensMissing: [Int] = []
        var allDensity: [[Double]] = [], allMax: [[Double]] = []
        // Seed-noise floor: baseline steps with two or more finished seeds, and (only then) the
        // matched MCC of every pair of consecutive chain SAEs.
        let seedSteps = Set(Dictionary(grouping: state.baselines.filter { $0.status == .done }, by: \.step).filter { $0.value.count >= 2 }.keys)
        var floors: [TrackAnalysis.SeedNoiseFloor.Checkpoint] = []
        var consecutive: [(mcc: Double?, indexAligned: Double?)] = []
        var previousChain: (decoder: Matrix, alive: [Bool])?
        var life = FeatureLifeHistoryBuilder(labels: labels.map(\.name), threshold: TrackFindings.formationThreshold,
                                             tokens: usable?.tokens, context: context, decode: decode)

        for (c, stage) in stages.enumerated() {
            progress("analyze: checkpoint \(c + 1)/\(stages.count) (step \(stage.step))")
            let sae = c == stages.count - 1 ? final : try TrackSAEFiles.read(from: directory.appendingPathComponent(stage.sae))
            let eval = c == stages.count - 1 ? finalEval : try evalActivations(step: stage.step)
            let codes = SparseCodes(encoding: eval, with: sae)
            let firing = FeatureFiring(codes)
            if exportAllFeatures {
                allDensity.append(firing.frequencies)
                var m = [Double](repeating: 0, count: sae.dSAE)
                for (k, i) in codes.indices.enumerated() { m[Int(i)] = max(m[Int(i)], Double(codes.values[k])) }
                allMax.append(m)
            }
            drift.add(step: stage.step, decoder: sae.wDec, alive: firing.alive)
            if !seedSteps.isEmpty {
                if let p = previousChain {
                    let toPrevious = drift.checkpoints.last?.cosineToPrevious.compactMap { $0 }.map(Double.init) ?? []
                    consecutive.append((OneToOneMatching(p.decoder, sae.wDec, aliveA: p.alive, aliveB: firing.alive).mcc.map(Double.init),
                                        toPrevious.isEmpty ? nil : toPrevious.reduce(0, +) / Double(toPrevious.count)))
                }
                previousChain = (sae.wDec, firing.alive)
                if seedSteps.contains(stage.step) {
                    let seeds = state.baselines.filter { $0.step == stage.step && $0.status == .done }.sorted { $0.seedIndex < $1.seedIndex }
                    let scratch = try seeds.map { try TrackSAEFiles.read(from: directory.appendingPathComponent($0.sae)) }
                    floors.append(.init(step: stage.step, chain: sae.wDec, chainAlive: firing.alive, scratch: scratch.map(\.wDec),
                                        scratchAlive: scratch.map { FeatureFiring(sae: $0, activations: eval).alive }))
                }
            }
            formation.checkpoints.append(ProgressMeasures.measure(step: stage.step, representations: datapoints.gather(from: eval),
                                                                  sae: sae, datapoints: datapoints))
            var aurocs: [[Double?]]? = nil
            if !labels.isEmpty {
                groundTruth.append(GroundTruth.evaluate(step: stage.step, codes: codes, labels: labels))
                aurocs = GroundTruth.aurocs(codes: codes, labels: labels)
            }
            life.add(step: stage.step, codes: codes, alive: firing.alive, aurocs: aurocs,
                     groundTruth: labels.isEmpty ? nil : groundTruth.last)
            if let usable, cardSteps.contains(stage.step) {
                var t = TopActivations(features: sae.dSAE, k: semantic.rule.k)
                t.add(sae: sae, activations: eval)
                semantic.add(step: stage.step, top: t, tokens: usable.tokens, context: usable.context)
            }
            for f in tracked { decoderRows[f, default: []].append(contentsOf: sae.wDec.row(f)) }
            let isCardStep = cardSteps.contains(stage.step)
            var lens: LogitLens?
            if isCardStep && logitLens {
                lens = try? LogitLens(modelDirectory: URL(fileURLWithPath: stage.checkpoint))
                if lens == nil || lens!.unembedding.cols != sae.dIn { lens = nil; lensMissing.append(stage.step) }
            }
            cards.add(step: stage.step, sae: sae, codes: codes, groundTruth: groundTruth.last.flatMap { $0.step == stage.step ? $0 : nil },
                      threshold: TrackFindings.formationThreshold, snapshot: isCardStep, lens: lens)
        }
        if let b = state.baselines.first(where: { $0.step == finalStage.step && $0.seedIndex == 0 && $0.status == .done }) {
            let scratch = try TrackSAEFiles.read(from: directory.appendingPathComponent(b.sae))
            let scratchAlive = FeatureFiring(sae: scratch, activations: finalEval).alive
            scratchComparison = .init(step: b.step, chain: final.wDec, chainAlive: finalFiring.alive, scratch: scratch.wDec, scratchAlive: scratchAlive)
        }

        // Assemble the figures.
        let driftResult = drift.result
        let labelOf: (Int) -> String = { f in trackedLabel[f].map { "(\($0))" } ?? "" }
        var progressFigures: [TrackAnalysis.ProgressMeasure] = []
        var randomBaselines: [TrackAnalysis.RandomBaseline] = []
        for measure in ProgressMeasure.allCases {
            let bands = TrackAnalysis.PopulationBands(
                curves: formation.features.map { f in (formation.curve(feature: f, measure) ?? []).map { $0.map(Double.init) } },
                checkpoints: steps.count)
            let features = formation.features.filter { tracked.contains($0) }.map { f -> TrackAnalysis.FeatureCurve in
                let curve = formation.curve(feature: f, measure) ?? []
                let phases = Phases.detect(curve, steps: steps)
                return TrackAnalysis.FeatureCurve(feature: f, label: labelOf(f), values: curve.map { $0.map(Double.init) },
                                                  onsetStep: phases.onsetStep, settleStep: phases.settleStep)
            }
            progressFigures.append(.init(measure: Self.identifier(measure), title: Self.title(measure), steps: steps, features: features,
                                         population: bands))
            randomBaselines.append(.init(measure: Self.identifier(measure), steps: steps,
                                         values: formation.checkpoints.map { c in c.baseline[measure].map(Double.init) }))
        }
        let quantiles = driftResult.checkpoints.map { c -> [Double] in
            let v = c.cosineToFinal.compactMap { $0 }.map(Double.init).sorted()
            return v.isEmpty ? [] : [0.1, 0.25, 0.5, 0.75, 0.9].map { Quantile.linear(sorted: v, $0) }
        }
        let driftSummary = TrackAnalysis.DriftSummary(
            steps: steps, toFinalQuantiles: quantiles,
            toPreviousMedian: driftResult.checkpoints.map { $0.medianToPrevious.map(Double.init) },
            scratch: scratchComparison,
            features: driftSample.map { f in
                TrackAnalysis.FeatureCurve(feature: f, label: labelOf(f), values: driftResult.curve(feature: f).map { $0.map(Double.init) })
            })
        let histIdx = Self.snapshotIndices(count: steps.count - 1, snapshots: 5)
        let histograms = histIdx.map { i -> TrackAnalysis.CosineHistogram in
            let h = driftResult.checkpoints[i].histogramToFinal
            return .init(step: steps[i], finalStep: finalStage.step, edges: h.edges.map(Double.init), counts: h.counts.map(Double.init))
        }
        var trajectories: [TrackAnalysis.FeatureTrajectory] = []
        for f in tracked.prefix(6) where steps.count >= 3 {
            let rows = Matrix(rows: steps.count, cols: final.dIn, storage: decoderRows[f]!)
            if let t = try? PCATrajectory(feature: f, rows: rows, steps: steps) {
                trajectories.append(.init(feature: f, label: labelOf(f), steps: steps, pc1: t.points.map { Double($0[0]) },
                                          pc2: t.points.map { Double($0.count > 1 ? $0[1] : 0) },
                                          explainedVariance: t.explainedVarianceRatio.map(Double.init)))
            }
        }
        let formationGT = GroundTruth.formation(groundTruth, threshold: TrackFindings.formationThreshold)
        let kinds = Dictionary(uniqueKeysWithValues: (usable?.labels ?? []).map { ($0.name, $0.kind) })
        let gtCurves = formationGT.enumerated().map { li, l in
            TrackAnalysis.GroundTruthCurve(name: l.label, kind: kinds[l.label] ?? "unknown", steps: steps, auroc: l.aurocCurve,
                                           bestFeature: groundTruth.map { $0.labels[li].bestFeature }, formedStep: l.formedAtStep)
        }
        let summary = stages.enumerated().map { c, s -> TrackAnalysis.CheckpointSummary in
            let m = s.metrics
            return .init(step: s.step, lmLoss: m?.lmLoss, saeLoss: m?.loss ?? .nan, mse: m?.mse ?? .nan, l0: m?.l0 ?? .nan,
                         explainedVariance: m?.explainedVariance ?? .nan, deadFraction: m?.deadFraction ?? .nan,
                         ceRecovered: Self.ceRecovered(m), reconstructedLoss: m?.reconstructedLoss, zeroAblatedLoss: m?.zeroAblatedLoss,
                         cosToFinalMedian: driftResult.checkpoints[c].medianToFinal.map(Double.init) ?? .nan,
                         cosToPreviousMedian: driftResult.checkpoints[c].medianToPrevious.map(Double.init), saeTrainingSteps: s.trainingSteps)
        }
        let convergence = state.baselines.filter { $0.status == .done && $0.seedIndex == 0 }.compactMap { b -> TrackAnalysis.ConvergenceComparison? in
            guard let s = state.stages.first(where: { $0.step == b.step && $0.status == .done }) else { return nil }
            let target = s.log.last?.explainedVariance ?? 1
            return .init(checkpointStep: b.step, chain: Self.curve(s.log, run: "SAE-Track"), scratch: Self.curve(b.log, run: "from scratch"),
                         chainFinalEV: s.metrics?.explainedVariance ?? .nan, scratchFinalEV: b.metrics?.explainedVariance ?? .nan,
                         scratchStepsToMatchChain: b.log.first { $0.explainedVariance >= target }?.step)
        }
        let cardKinds = Dictionary(semantic.checkpoints.flatMap { cp in cp.features.map { ($0.feature, $0.label.rawValue) } }, uniquingKeysWith: { _, b in b })
        let settle = Dictionary(uniqueKeysWithValues: (progressFigures.first { $0.measure == "weighted_jaccard" }?.features ?? []).map { ($0.feature, $0.settleStep) })
        let featureCards = tracked.map { f -> TrackAnalysis.FeatureCard in
            let row = cards.labels[f] ?? []
            let last = row.last
            let lostPlanted = row.dropLast().contains { $0.source == "planted" && !($0.text == last?.text && last?.source == "planted") }
            let died = last?.source == "dead" && row.dropLast().contains { $0.source != "dead" }
            let description = trackedLabel[f].map { "best match for planted “\($0)”" } ?? "randomly chosen live feature"
            return TrackAnalysis.FeatureCard(feature: f, kind: cardKinds[f] ?? "unlabelled", description: description, plantedLabel: trackedLabel[f],
                                             labels: row, snapshots: cards.snapshots[f] ?? [], aliveAtFinal: finalFiring.alive[f],
                                             formedStep: settle[f] ?? nil, dissolved: lostPlanted || died)
        }
        if !lensMissing.isEmpty && logitLens {
            warnings.append("logit lens unavailable at step\(lensMissing.count == 1 ? "" : "s") \(lensMissing.map(String.init).joined(separator: ", ")): no readable model directory whose d_model matches the SAE's d_in")
        }
        let first = state.config.firstStage, cont = state.config.continualStage
        let meta = TrackAnalysis.Meta(
            title: title, model: modelDescription.isEmpty ? state.config.series : modelDescription, hook: state.config.hook,
            centered: state.config.centered, dIn: state.dIn, dSAE: state.dSAE, steps: steps, order: state.config.order.rawValue,
            evaluationTokens: finalEval.rows, firstStageSteps: first.steps, continualStageSteps: cont.steps,
            notes: [
                "First stage: lr \(first.lr), warm-up \(first.warmupSteps), l1 \(first.l1Coefficient), batch \(first.batchSize) tokens; continual: lr \(cont.lr), warm-up \(cont.warmupSteps), l1 \(cont.l1Coefficient).",
                "Progress-measure datapoints: top-25 activating evaluation tokens of each feature under the final SAE and model; random baseline of \(baselineTokens) seeded tokens (Docs/Method.md §7).",
                "Dead features (never firing on the evaluation tokens) are masked in drift and excluded from datapoint selection.",
                "Baselines: \(state.config.baselineBudget == .cumulative ? "same number of SAE steps as the whole chain up to that checkpoint" : "as many steps as the first stage"), first-stage settings, same activations"
                    + (state.config.baselineSeeds > 1 ? "; \(state.config.baselineSeeds) seeds at each baseline step (the seed-noise floor)." : "."),
            ])
        var analysis = TrackAnalysis(meta: meta, summary: summary, progress: progressFigures, randomBaseline: randomBaselines, drift: driftSummary,
                             cosineHistograms: histograms, trajectories: trajectories, convergence: convergence, groundTruth: gtCurves,
                             featureCards: featureCards, warnings: warnings)
        analysis.lifeHistory = life.result
        if !floors.isEmpty { analysis.seedFloor = .init(steps: steps, floors: floors, consecutive: consecutive) }
        let windows = curriculum ?? (try? TrainingLog.read(from: URL(fileURLWithPath: state.config.series)))?.curriculum
        if let windows, !windows.isEmpty, !gtCurves.isEmpty {
            analysis.curriculum = .compare(windows: windows, groundTruth: gtCurves, threshold: TrackFindings.formationThreshold)
        }
        if exportAllFeatures {
            analysis.allFeatures = .init(steps: steps, density: allDensity, maxActivation: allMax,
                                         cosToFinal: driftResult.checkpoints.map { $0.cosineToFinal.map { $0.map(Double.init) } },
                                         cosToPrevious: driftResult.checkpoints.map { $0.cosineToPrevious.map { $0.map(Double.init) } })
        }
        return analysis
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

    /// CE recovered where it is defined: zero-ablation must raise the loss above the clean loss.
    static func ceRecovered(_ m: StageMetrics?) -> Double? {
        guard let m, let clean = m.lmLoss, let zero = m.zeroAblatedLoss, zero > clean else { return nil }
        return m.ceRecovered
    }

    static func curve(_ log: [TrainingPoint], run: String) -> TrackAnalysis.TrainingCurve {
        .init(run: run, steps: log.map(\.step), loss: log.map(\.loss), mse: log.map(\.mse), l0: log.map(\.l0),
              explainedVariance: log.map(\.explainedVariance))
    }

    /// `snapshots` indices spread over 0..<count, always including the first and the last.
    static func snapshotIndices(count: Int, snapshots: Int) -> [Int] {
        guard count > 0 else { return [] }
        guard count > snapshots else { return Array(0..<count) }
        return Array(Set((0..<snapshots).map { Int((Double($0) * Double(count - 1) / Double(snapshots - 1)).rounded()) })).sorted()
    }
}
