import Foundation
import Testing
@testable import SAETrack

/// A tiny chain over the drifting-dictionary activations: 16-d inputs, 32 features.
func tinyTrackConfig(checkpoints: Int = 4, baselineAtLast: Bool = true) -> TrackConfig {
    var first = SAETrainingConfig.firstStage(dIn: 16, dSAE: 32, tokens: 240 * 256, batchSize: 256, seed: 3)
    first.lr = 4e-3
    first.warmupSteps = 20
    first.l1Coefficient = 4e-3
    first.bDecInitSamples = 1024
    first.logEvery = 10
    var continual = SAETrainingConfig.continualStage(dIn: 16, dSAE: 32, tokens: 40 * 256, batchSize: 256, seed: 3)
    continual.lr = 1e-3
    continual.l1Coefficient = 4e-3
    continual.logEvery = 10
    let steps = Array(0..<checkpoints)
    return TrackConfig(series: "/synthetic", hook: "blocks.0.hook_resid_pre", centered: false, steps: steps,
                       firstStage: first, continualStage: continual, baselineSteps: baselineAtLast ? [steps.last!] : [],
                       checkpointEvery: 25)
}

func tinyCheckpoints(_ n: Int) -> [Int: URL] {
    Dictionary(uniqueKeysWithValues: (0..<n).map { ($0, URL(fileURLWithPath: "/synthetic/step\($0)")) })
}

func temporaryDirectory(_ name: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-\(name)-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Median over features of the cosine between row i of `a` and row i of `b` (index-aligned).
func medianRowCosine(_ a: Matrix, _ b: Matrix) -> Double {
    var cos: [Double] = []
    for i in 0..<a.rows {
        let u = a.row(i), v = b.row(i)
        let dot = zip(u, v).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        let nu = u.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot(), nv = v.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot()
        cos.append(dot / max(nu * nv, 1e-12))
    }
    cos.sort()
    return cos[cos.count / 2]
}

@Suite("SAE-Track chain", .serialized)
struct ChainTests {
    @Test("chained SAEs keep feature indices aligned; independent SAEs do not")
    func alignment() throws {
        let dir = temporaryDirectory("align")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try SAETrackRun(directory: dir, config: tinyTrackConfig(), checkpoints: tinyCheckpoints(4),
                                  provider: DriftingDictionary())
        run.progress = { _ in }
        try run.run()
        #expect(run.state.stages.allSatisfy { $0.status == .done })
        #expect(run.state.baselines.count == 1 && run.state.baselines[0].status == .done)
        let saes = try (0..<4).map { try run.sae(atStep: $0) }
        let consecutive = (1..<4).map { medianRowCosine(saes[$0 - 1].wDec, saes[$0].wDec) }
        let scratch = try TrackSAEFiles.read(from: dir.appendingPathComponent("baselines/step3"))
        let independent = medianRowCosine(saes[3].wDec, scratch.wDec)
        #expect(consecutive.allSatisfy { $0 > 0.8 }, "consecutive chained cosines \(consecutive)")
        #expect(abs(independent) < 0.3, "independent cosine \(independent)")
        // Every stage's SAE reconstructs its own checkpoint's held-out activations.
        #expect(run.state.stages.allSatisfy { ($0.metrics?.explainedVariance ?? 0) > 0.5 },
                "EVs \(run.state.stages.map { $0.metrics?.explainedVariance ?? -1 })")
        // The baseline had the chain's cumulative budget.
        #expect(run.state.baselines[0].trainingSteps == 240 + 3 * 40)
    }

    @Test("a run killed at several points and restarted writes identical track.json and SAE files")
    func resumeIsExact() throws {
        let reference = temporaryDirectory("ref"), resumed = temporaryDirectory("resumed")
        defer { try? FileManager.default.removeItem(at: reference); try? FileManager.default.removeItem(at: resumed) }
        let config = tinyTrackConfig(checkpoints: 3)
        let ref = try SAETrackRun(directory: reference, config: config, checkpoints: tinyCheckpoints(3), provider: DriftingDictionary())
        ref.progress = { _ in }
        try ref.run()

        let kills: [TrackEvent] = [
            .trainerStateSaved(step: 0, saeStep: 100, baseline: false),   // mid first stage
            .saeWritten(step: 0, baseline: false),                        // SAE on disk, track.json not yet updated
            .stageStarted(step: 1),
            .trainerStateSaved(step: 1, saeStep: 25, baseline: false),    // mid continual stage
            .stageFinished(step: 2, baseline: false),                     // chain done, baseline pending
            .trainerStateSaved(step: 2, saeStep: 150, baseline: true),    // mid baseline
        ]
        var interruptions = 0
        for kill in kills + [nil] as [TrackEvent?] {
            let run = try SAETrackRun(directory: resumed, config: config, checkpoints: tinyCheckpoints(3), provider: DriftingDictionary())
            run.progress = { _ in }
            run.stopAt = { $0 == kill }
            do { try run.run() } catch TrackError.interrupted { interruptions += 1 }
        }
        #expect(interruptions == kills.count)
        let files = ["track.json", "saes/step0/sae_weights.safetensors", "saes/step1/sae_weights.safetensors",
                     "saes/step2/sae_weights.safetensors", "saes/step2/cfg.json", "baselines/step2/sae_weights.safetensors",
                     "cache/eval-step1.safetensors"]
        for f in files {
            let a = try Data(contentsOf: reference.appendingPathComponent(f))
            let b = try Data(contentsOf: resumed.appendingPathComponent(f))
            #expect(a == b, "\(f) differs after resuming")
        }
        #expect(!FileManager.default.fileExists(atPath: resumed.appendingPathComponent("state/stage-step1").path))
    }

    @Test("restarting with different settings is refused, naming the difference")
    func configMismatch() throws {
        let dir = temporaryDirectory("mismatch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try SAETrackRun(directory: dir, config: tinyTrackConfig(checkpoints: 2), checkpoints: tinyCheckpoints(2), provider: DriftingDictionary())
        first.progress = { _ in }
        first.stopAt = { if case .stageFinished = $0 { return true }; return false }
        #expect(throws: TrackError.self) { try first.run() }         // one stage done: work to protect
        let before = try Data(contentsOf: dir.appendingPathComponent("track.json"))
        var other = tinyTrackConfig(checkpoints: 2)
        other.hook = "blocks.1.hook_resid_pre"
        #expect(throws: TrackError.self) {
            _ = try SAETrackRun(directory: dir, config: other, checkpoints: tinyCheckpoints(2), provider: DriftingDictionary())
        }
        #expect(try Data(contentsOf: dir.appendingPathComponent("track.json")) == before, "a refused restart changed track.json")
    }

    @Test("a stage whose training diverges stops the chain: no SAE written, the stage not marked done")
    func divergenceStopsTheChain() throws {
        let dir = temporaryDirectory("diverge")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = tinyTrackConfig(checkpoints: 2, baselineAtLast: false)
        config.firstStage.lr = 1e6
        config.firstStage.warmupSteps = 1
        let run = try SAETrackRun(directory: dir, config: config, checkpoints: tinyCheckpoints(2), provider: DriftingDictionary())
        run.progress = { _ in }
        #expect(throws: TrainingDivergedError.self) { try run.run() }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("saes/step0").path))
        #expect(try TrackState.read(from: dir).stages[0].status != .done)
    }

    @Test("a track.json whose run stopped before any stage started does not block a corrected configuration")
    func halfCreatedTrackIsReplaced() throws {
        let dir = temporaryDirectory("half-created")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try SAETrackRun(directory: dir, config: tinyTrackConfig(checkpoints: 2), checkpoints: tinyCheckpoints(2), provider: DriftingDictionary())
        var other = tinyTrackConfig(checkpoints: 2)
        other.hook = "blocks.1.hook_resid_pre"
        let run = try SAETrackRun(directory: dir, config: other, checkpoints: tinyCheckpoints(2), provider: DriftingDictionary())
        #expect(run.state.config.hook == "blocks.1.hook_resid_pre")
        #expect(try TrackState.read(from: dir).config.hook == "blocks.1.hook_resid_pre")
    }
}

@Suite("SAE-Track chain order")
struct ChainOrderTests {
    @Test("a backward chain starts from scratch at the last checkpoint and warm-starts downwards")
    func backward() throws {
        let dir = temporaryDirectory("backward")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = tinyTrackConfig(checkpoints: 3, baselineAtLast: false)
        config = TrackConfig(series: config.series, hook: config.hook, centered: false, steps: config.steps, order: .backward,
                             firstStage: config.firstStage, continualStage: config.continualStage, checkpointEvery: 25)
        let run = try SAETrackRun(directory: dir, config: config, checkpoints: tinyCheckpoints(3), provider: DriftingDictionary())
        run.progress = { _ in }
        try run.run()
        #expect(run.state.stages.map(\.step) == [2, 1, 0])
        #expect(run.state.stages.map(\.warmStartedFrom) == [nil, 2, 1])
        #expect(run.state.stages.map(\.trainingSteps) == [240, 40, 40])
        #expect(medianRowCosine(try run.sae(atStep: 2).wDec, try run.sae(atStep: 1).wDec) > 0.8)
    }
}

@Suite("SAE-Track chain, other architectures")
struct ChainArchitectureTests {
    @Test("a JumpReLU chain saves jumprelu SAEs whose thresholds carry over from stage to stage; TrackSettings set every stage's architecture")
    func jumpReLUChain() throws {
        var settings = TrackSettings(firstSteps: 10, continualSteps: 5)
        settings.architecture = .batchtopk; settings.k = 4
        let stages = settings.stageConfigs(dIn: 8)
        #expect(stages.first.architecture == .batchtopk && stages.continual.architecture == .batchtopk && stages.continual.k == 4)
        // Settings written before architectures existed decode as the paper's standard SAE.
        var legacy = try JSONSerialization.jsonObject(with: JSONEncoder().encode(TrackSettings.paper)) as! [String: Any]
        legacy["architecture"] = nil; legacy["k"] = nil
        let old = try JSONDecoder().decode(TrackSettings.self, from: JSONSerialization.data(withJSONObject: legacy))
        #expect(old.architecture == .standard && old == TrackSettings.paper)

        let dir = temporaryDirectory("jumprelu-chain")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = tinyTrackConfig(checkpoints: 3, baselineAtLast: false)
        for c in [\TrackConfig.firstStage, \TrackConfig.continualStage] {
            config[keyPath: c].architecture = .jumprelu
            config[keyPath: c].l0Coefficient = 0.01
            config[keyPath: c].mseMode = .saeLens
        }
        let run = try SAETrackRun(directory: dir, config: config, checkpoints: tinyCheckpoints(3), provider: DriftingDictionary())
        run.progress = { _ in }
        try run.run()
        let saes = try (0..<3).map { try run.sae(atStep: $0) }
        let thresholds = saes.map { $0.activation.threshold ?? [] }
        #expect(thresholds.allSatisfy { $0.count == 32 })
        // Each stage starts from the previous stage's θ, so θ moves a little per stage rather than restarting at the init value.
        #expect(thresholds[1] != thresholds[0] && thresholds[2] != thresholds[1])
        func meanDistance(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.reduce(0, +) / Float(a.count) }
        let initial = [Float](repeating: config.continualStage.jumpReLUInitThreshold, count: 32)
        #expect(meanDistance(thresholds[1], thresholds[0]) < meanDistance(thresholds[1], initial),
                "stage 1 θ is nearer its parent's θ than the from-scratch init")
        #expect(try SAEDirectory.readConfig(dir.appendingPathComponent("saes/step1")).architecture == "jumprelu")
    }
}
