import Foundation
import Testing
@testable import SAETrack
import SAETrackSAE
import SAETrackIO

/// The drifting dictionary with a weights digest per checkpoint, as a real series has.
private struct DigestedDictionary: CheckpointActivationProvider {
    var base = DriftingDictionary(sameTrainTokens: true)
    var digestPrefix = "sha-"
    func activations(step: Int, checkpoint: URL) throws -> CheckpointActivations {
        var a = try base.activations(step: step, checkpoint: checkpoint)
        a.weightsSHA256 = digestPrefix + checkpoint.lastPathComponent
        return a
    }
}

@Suite("Head-to-head: chain vs independent SAEs vs crosscoder on one track", .serialized)
struct HeadToHeadTrackTests {
    /// Independent SAEs at every checkpoint, two seeds only at the last.
    static func config() -> TrackConfig {
        var c = tinyTrackConfig(checkpoints: 3)
        c.baselineSteps = [0, 1, 2]
        c.baselineSeeds = 2
        c.baselineSeedSteps = [2]
        c.baselineBudget = .firstStage
        return c
    }

    @Test("baseline_seed_steps: all seeds there, one elsewhere; recorded, refused when changed on resume")
    func seedSteps() throws {
        let c = Self.config()
        #expect(c.baselineSeeds(atStep: 2) == 2 && c.baselineSeeds(atStep: 0) == 1)
        var all = c
        all.baselineSeedSteps = nil
        #expect(all.baselineSeeds(atStep: 0) == 2)
        let json = String(decoding: try JSONFile.encode(c), as: UTF8.self)
        let without = String(decoding: try JSONFile.encode(all), as: UTF8.self)
        #expect(json.contains("\"baseline_seed_steps\"") && !without.contains("baseline_seed_steps"))
        #expect(c.differences(from: all).contains { $0.contains("baseline_seed_steps") })
    }

    @Test("the analysis scores every method at every compared step, prices them from compute.json, and leaves out a stale crosscoder")
    func analysis() throws {
        let dir = temporaryDirectory("h2h")
        defer { try? FileManager.default.removeItem(at: dir) }
        let provider = DigestedDictionary()
        let run = try SAETrackRun(directory: dir, config: Self.config(), checkpoints: tinyCheckpoints(3), provider: provider)
        run.progress = { _ in }
        try run.run()
        #expect(run.state.baselines.map(\.step) == [0, 1, 2, 2] && run.state.baselines.map(\.seedIndex) == [0, 0, 0, 1])
        // Every training run's measured cost, keyed by run.
        let compute = try TrackCompute.read(from: dir)
        #expect(Set(compute.runs.keys) == ["stage step0", "stage step1", "stage step2", "baseline step0", "baseline step1",
                                           "baseline step2", "baseline step2-seed1"])
        let stage0 = try #require(compute.runs["stage step0"])
        #expect(stage0.saeSteps == 240 && stage0.tokens == 240 * 256 && stage0.cpuSeconds > 0 && stage0.resumedAtStep == nil)
        #expect(stage0.activationBytes == (4096 + 512) * 16 * 4)
        try provider.base.evaluationInputs().write(to: dir)

        // Without a crosscoder: chain and independent SAEs on all three steps.
        var analyzer = TrackAnalyzer(directory: dir)
        analyzer.progress = { _ in }
        let a = try analyzer.analyze()
        let h = try #require(a.headToHead)
        #expect(h.steps == [0, 1, 2] && h.methods.map(\.kind) == [.chain, .independent])
        let chain = h.method(.chain)!, scratch = h.method(.independent)!
        #expect(chain.cost.optimizerSteps == 240 + 40 + 40 && chain.cost.runs == 3 && scratch.cost.optimizerSteps == 3 * 240)
        let expectedCPU = ["baseline step0", "baseline step1", "baseline step2"].map { compute.runs[$0]!.cpuSeconds }.reduce(0, +)
        #expect(abs(scratch.cost.cpuSeconds! - expectedCPU) < 1e-9)
        // The ground truth is learnable: the chain finds all four planted directions at the last step, the
        // independent SAE (as many steps as the first stage) at least three; an L1 SAE's latents also fire
        // weakly off their feature, so firing F1 stays well below 1.
        #expect(chain.recovery.last!.recovered == 4 && scratch.recovery.last!.recovered >= 3)
        #expect([chain, scratch].allSatisfy { m in m.recovery.allSatisfy { ($0.f1 ?? 0) > 0.25 && ($0.f1 ?? 1) < 1 && $0.candidates == 32 } })

        // A crosscoder over the three checkpoints joins the comparison.
        var cc = CrosscoderTrainingConfig(dSAE: 32, sparsity: .batchTopK(k: 3), steps: 600, batchSize: 256, lr: 3e-3)
        cc.logEvery = 50
        let crosscoder = CrosscoderRun(checkpoints: tinyCheckpoints(3).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, provider: provider,
                                       config: cc, inputs: .init(series: "/synthetic", tokens: "-", hook: "blocks.0.hook_resid_pre", centered: false))
        var quiet = crosscoder
        quiet.progress = { _ in }
        let record = try quiet.run(to: dir.appendingPathComponent("crosscoder"))
        #expect(record.activationBytes == 3 * (4096 + 512) * 16 * 4 && (record.trainingCPUSeconds ?? 0) > 0 && crosscoder.isFinished(by: record))
        let b = try analyzer.analyze()
        let x = try #require(b.headToHead?.method(.crosscoder))
        #expect(b.headToHead?.methods.map(\.kind) == [.chain, .independent, .crosscoder] && x.recovery.count == 3)
        #expect(x.cost.optimizerSteps == 600 && x.cost.activationVectors == 600 * 256 * 3 && x.cost.activationBytesHeld == record.activationBytes)
        #expect(x.recovery.allSatisfy { $0.recovered >= 3 && $0.candidates < 32 }, "crosscoder: \(x.recovery)")

        // Trained on other weights than the chain read: left out, with a warning naming why.
        var stale = record
        stale.checkpointSHA256[1] = "sha-other"
        try JSONFile.write(stale, to: dir.appendingPathComponent("crosscoder/config.json"))
        let c = try analyzer.analyze()
        #expect(c.headToHead?.methods.map(\.kind) == [.chain, .independent])
        #expect(c.warnings.contains { $0.contains("left out of the head-to-head") && $0.contains("other weights at step 1") })
    }

    @Test("CrosscoderRun: killed part-way and rerun, it resumes from its state and writes the same crosscoder; a state from other inputs is refused")
    func crosscoderRunResumes() throws {
        let dir = temporaryDirectory("cc-resume")
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoints = tinyCheckpoints(3).sorted { $0.key < $1.key }.map { (step: $0.key, url: $0.value) }
        var cc = CrosscoderTrainingConfig(dSAE: 32, sparsity: .batchTopK(k: 3), steps: 90, batchSize: 256, lr: 3e-3)
        cc.logEvery = 30
        var run = CrosscoderRun(checkpoints: checkpoints, provider: DigestedDictionary(), config: cc,
                                inputs: .init(series: "/synthetic", tokens: "-", hook: "blocks.0.hook_resid_pre", centered: false))
        run.progress = { _ in }
        run.checkpointEvery = 40
        try run.run(to: dir.appendingPathComponent("whole"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("whole/state").path), "a finished run keeps no state")

        // The state a run killed after step 40 leaves behind: trainer state and the inputs it was made from.
        let out = dir.appendingPathComponent("killed"), state = out.appendingPathComponent("state")
        let provider = DigestedDictionary()
        let acts = try checkpoints.map { try provider.activations(step: $0.step, checkpoint: $0.url) }
        var partial = try CrosscoderTrainer(snapshots: acts.map(\.train), config: cc)
        try partial.train(untilStep: 40)
        try partial.saveState(to: state)
        let made = CrosscoderRun.StateInputs(inputs: run.inputs, checkpoints: [0, 1, 2], checkpointSHA256: acts.map { $0.weightsSHA256! })
        try JSONFile.write(made, to: state.appendingPathComponent("run.json"))
        var lines: [String] = []
        var again = run
        again.progress = { lines.append($0) }
        let record = try again.run(to: out)
        #expect(lines.contains { $0.hasPrefix("crosscoder: resuming at step 40/90") })
        let a = try CrosscoderFiles.read(from: dir.appendingPathComponent("whole")), b = try CrosscoderFiles.read(from: out)
        #expect(a.parameters == b.parameters, "the resumed run's crosscoder differs from the uninterrupted one's")
        #expect(record.trainingCPUSeconds == nil && !FileManager.default.fileExists(atPath: state.path))

        // A state made from other weights is not resumed.
        try partial.saveState(to: state)
        var stale = made
        stale.checkpointSHA256[2] = "sha-other"
        try JSONFile.write(stale, to: state.appendingPathComponent("run.json"))
        #expect { try again.run(to: out) } throws: { "\($0)".contains("run.json") && "\($0)".contains("made from other checkpoints") }
    }
}
