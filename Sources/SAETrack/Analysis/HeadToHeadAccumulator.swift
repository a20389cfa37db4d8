import Foundation
import SAETrackCore
import SAETrackLM
import SAETrackMetrics
import SAETrackSAE

/// The head-to-head (``TrackAnalysis/HeadToHead``): at every compared checkpoint the chain SAE's
/// and the independent SAE's codes (both come with the checkpoint) are scored on the planted
/// labels; the crosscoder's shared code needs every snapshot's evaluation activations at once,
/// so they are kept as the chain is walked and it is encoded once at the end.
struct HeadToHeadAccumulator: TrackAccumulator {
    private let labels: [PlantedLabel]
    private let kinds: [String: String]
    private let windows: [PlantedFeatureWindow]?
    private let steps: [Int]
    private let independent: Bool
    private let crosscoder: (saved: SavedCrosscoder, record: CrosscoderRun.Record)?
    private let state: TrackState
    private let compute: TrackCompute
    private var chain: [LabelRecovery] = []
    private var scratch: [LabelRecovery] = []
    private var snapshots: [Int: Matrix] = [:]
    static let presenceFraction: Float = 0.5

    /// The head-to-head of the track in `directory`, when it has planted labels and at least two
    /// checkpoints with an independent SAE or a crosscoder (`<track>/crosscoder/`); a crosscoder
    /// that does not belong to this track is left out with a warning.
    static func make(directory: URL, state: TrackState, labels: [PlantedLabel], kinds: [String: String],
                     windows: [PlantedFeatureWindow]?, warnings: inout [String]) -> HeadToHeadAccumulator? {
        guard !labels.isEmpty else { return nil }
        let done = state.stages.filter { $0.status == .done }
        let stageSteps = Set(done.map(\.step))
        let scratchSteps = Set(state.baselines.filter { $0.status == .done && $0.seedIndex == 0 }.map(\.step)).intersection(stageSteps)
        let crosscoder = readCrosscoder(in: directory.appendingPathComponent("crosscoder"), state: state, stages: done, warnings: &warnings)
        let independent = scratchSteps.count >= 2
        let steps: Set<Int>
        switch (independent, crosscoder) {
        case (true, let c?): steps = scratchSteps.intersection(c.saved.steps)
        case (true, nil): steps = scratchSteps
        case (false, let c?): steps = Set(c.saved.steps)
        case (false, nil): return nil
        }
        guard steps.count >= 2 else {
            warnings.append("head-to-head left out: the crosscoder's checkpoints \(crosscoder!.saved.steps) share fewer than 2 with the independent SAEs' \(scratchSteps.sorted())")
            return nil
        }
        let compute = (try? TrackCompute.read(from: directory)) ?? TrackCompute()
        return HeadToHeadAccumulator(labels: labels, kinds: kinds, windows: windows, steps: done.map(\.step).filter(steps.contains),
                                     independent: independent, crosscoder: crosscoder, state: state, compute: compute)
    }

    private init(labels: [PlantedLabel], kinds: [String: String], windows: [PlantedFeatureWindow]?, steps: [Int], independent: Bool,
                 crosscoder: (saved: SavedCrosscoder, record: CrosscoderRun.Record)?, state: TrackState, compute: TrackCompute) {
        self.labels = labels; self.kinds = kinds; self.windows = windows; self.steps = steps; self.independent = independent
        self.crosscoder = crosscoder; self.state = state; self.compute = compute
    }

    /// The crosscoder in `dir`, if there is one made from this track's checkpoints (else nil, with a warning saying why).
    private static func readCrosscoder(in dir: URL, state: TrackState, stages: [TrackStage], warnings: inout [String])
        -> (saved: SavedCrosscoder, record: CrosscoderRun.Record)? {
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent(CrosscoderFiles.weightsFile).path) else { return nil }
        func leave(_ why: String) -> (saved: SavedCrosscoder, record: CrosscoderRun.Record)? {
            warnings.append("crosscoder \(dir.path) left out of the head-to-head: \(why)")
            return nil
        }
        guard let record = CrosscoderRun.Record.existing(in: dir) else { return leave("its config.json is missing or unreadable") }
        let saved: SavedCrosscoder
        do { saved = try CrosscoderFiles.read(from: dir) } catch { return leave("\(error)") }
        guard record.hook == state.config.hook, record.centered == state.config.centered, saved.parameters.dIn == state.dIn else {
            return leave("trained at \(record.hook)\(record.centered ? " (centred)" : "") with d_in \(saved.parameters.dIn); the track is at \(state.config.hook)\(state.config.centered ? " (centred)" : "") with d_in \(state.dIn)")
        }
        for (i, step) in saved.steps.enumerated() {
            guard let stage = stages.first(where: { $0.step == step }) else { return leave("its checkpoint step \(step) has no finished chain stage") }
            let digest = i < record.checkpointSHA256.count ? record.checkpointSHA256[i] : ""
            if let expected = stage.weightsSHA256, !digest.isEmpty, digest != expected {
                return leave("it was trained on other weights at step \(step) (SHA-256 \(digest.prefix(12))…, the chain read \(expected.prefix(12))…)")
            }
        }
        return (saved, record)
    }

    mutating func add(_ c: AnalysisCheckpoint) {
        if let crosscoder, crosscoder.saved.steps.contains(c.step) { snapshots[c.step] = c.activations }
        guard steps.contains(c.step) else { return }
        chain.append(LabelRecovery(codes: c.codes, labels: labels, candidates: c.firing.alive, aurocs: c.aurocs,
                                   threshold: TrackFindings.formationThreshold))
        if independent, let b = c.baselines.first(where: { $0.seedIndex == 0 }) {
            scratch.append(LabelRecovery(codes: b.codes, labels: labels, candidates: b.alive, threshold: TrackFindings.formationThreshold))
        }
    }

    func finish(_ analysis: inout TrackAnalysis) {
        var methods = [TrackAnalysis.HeadToHead.Method(kind: .chain, recovery: chain, curriculum: timing(chain), cost: chainCost())]
        if independent { methods.append(.init(kind: .independent, recovery: scratch, curriculum: timing(scratch), cost: scratchCost())) }
        if let crosscoder {
            do {
                let recovery = try crosscoderRecovery(crosscoder.saved)
                let r = crosscoder.record, S = crosscoder.saved.parameters.snapshots
                let cost = TrackAnalysis.HeadToHead.Cost(optimizerSteps: r.training.steps, activationVectors: r.training.steps * r.training.batchSize * S,
                                                         cpuSeconds: r.trainingCPUSeconds, wallSeconds: r.trainingWallSeconds,
                                                         activationBytesHeld: r.activationBytes, runs: 1)
                methods.append(.init(kind: .crosscoder, recovery: recovery, curriculum: timing(recovery), cost: cost))
            } catch {
                analysis.warnings.append("crosscoder left out of the head-to-head: \(error)")
            }
        }
        analysis.headToHead = .init(steps: steps, threshold: TrackFindings.formationThreshold,
                                    crosscoderPresenceFraction: Double(Self.presenceFraction), methods: methods)
    }

    /// The shared code of the evaluation tokens, and at each compared snapshot the latents present there.
    private func crosscoderRecovery(_ saved: SavedCrosscoder) throws -> [LabelRecovery] {
        let codes = try saved.codes(saved.steps.map { snapshots[$0]! })
        let alive = FeatureFiring(codes).alive
        let table = GroundTruth.aurocs(codes: codes, labels: labels)
        let norms = saved.parameters.decoderNorms()                       // (S, d_sae)
        let m = saved.parameters.dSAE
        let peak = (0..<m).map { i in (0..<saved.parameters.snapshots).map { norms[$0, i] }.max() ?? 0 }
        return steps.map { step in
            let s = saved.steps.firstIndex(of: step)!
            let present = (0..<m).map { alive[$0] && peak[$0] > 0 && norms[s, $0] >= Self.presenceFraction * peak[$0] }
            return LabelRecovery(codes: codes, labels: labels, candidates: present, aurocs: table, threshold: TrackFindings.formationThreshold)
        }
    }

    /// Onsets and dissolutions on the method's best-AUROC curves over the compared steps.
    private func timing(_ recovery: [LabelRecovery]) -> TrackAnalysis.CurriculumTiming? {
        guard let windows, !windows.isEmpty, recovery.count == steps.count else { return nil }
        let curves = labels.indices.map { li in
            TrackAnalysis.GroundTruthCurve(name: labels[li].name, kind: kinds[labels[li].name] ?? "unknown", steps: steps,
                                           auroc: recovery.map { $0.labels[li].bestAUROC }, bestFeature: recovery.map { _ in nil }, formedStep: nil)
        }
        return .compare(windows: windows, groundTruth: curves, threshold: TrackFindings.formationThreshold)
    }

    /// Every chain stage up to the last compared checkpoint: the chain cannot skip one.
    private func chainCost() -> TrackAnalysis.HeadToHead.Cost {
        let last = state.stages.lastIndex { steps.contains($0.step) } ?? -1
        let runs = (0..<(last + 1)).map { i in
            (stage: state.stages[i], batch: state.config.stageConfig(index: i).batchSize, key: TrackCompute.key(step: state.stages[i].step, baseline: false))
        }
        return cost(runs)
    }

    private func scratchCost() -> TrackAnalysis.HeadToHead.Cost {
        let runs = state.baselines.filter { $0.seedIndex == 0 && steps.contains($0.step) }.map { b in
            (stage: b, batch: state.config.baselineConfig(index: state.stages.firstIndex { $0.step == b.step } ?? 0).batchSize,
             key: TrackCompute.key(step: b.step, baseline: true))
        }
        return cost(runs)
    }

    private func cost(_ runs: [(stage: TrackStage, batch: Int, key: String)]) -> TrackAnalysis.HeadToHead.Cost {
        let measured: [TrackCompute.Run?] = runs.map { compute.runs[$0.key] }
        let timed: [TrackCompute.Run] = measured.compactMap { $0 }.filter { $0.resumedAtStep == nil }
        let complete = timed.count == runs.count
        let steps: Int = runs.map(\.stage.trainingSteps).reduce(0, +)
        let vectors: Int = runs.map { $0.stage.trainingSteps * $0.batch }.reduce(0, +)
        let cpu: Double? = complete ? timed.map(\.cpuSeconds).reduce(0, +) : nil
        let wall: Double? = complete ? timed.map(\.wallSeconds).reduce(0, +) : nil
        return .init(optimizerSteps: steps, activationVectors: vectors, cpuSeconds: cpu, wallSeconds: wall,
                     activationBytesHeld: measured.compactMap { $0?.activationBytes }.max(), runs: runs.count)
    }
}
