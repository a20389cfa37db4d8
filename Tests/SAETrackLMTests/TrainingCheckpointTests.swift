import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackLM

/// Checkpoint series: schedule, bit-exact reload, resume, and transformers loading what SAETrack wrote.
@Suite("LM training: checkpoints")
struct TrainingCheckpointTests {
    static let tinyTokens = TrainingFixture.directory.appendingPathComponent("tiny_tokens.safetensors")

    /// A tiny trainer over the committed 8 × 16 token file.
    static func tinyTrainer(_ config: ModelConfig, steps: Int) throws -> LMTrainer {
        let file = try SafetensorsFile(contentsOf: tinyTokens)
        var training = LMTrainingConfig()
        training.steps = steps; training.batchRows = 2; training.context = 16; training.warmupSteps = 1
        training.learningRate = 1e-2; training.seed = 7
        return try LMTrainer(config: config, training: training, tokens: try file.int32s("tokens"), rows: 8, context: 16)
    }

    static let tinyNeoX = ModelConfig.gptNeoX(GPTNeoXConfig(hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2,
                                                            intermediateSize: 24, vocabSize: 30, maxPositionEmbeddings: 16))

    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-train-\(UUID().uuidString)")
    }

    @Test("log:60 over 600 steps is the demo's 19 checkpoints; list: keeps steps in range")
    func scheduleSteps() throws {
        let demo = try CheckpointSchedule(parsing: "log:60").steps(upTo: 600)
        #expect(demo == [0, 1, 2, 4, 8, 16, 32, 60, 64, 120, 128, 180, 240, 300, 360, 420, 480, 540, 600])
        #expect(try CheckpointSchedule(parsing: "list:5,0,3,99").steps(upTo: 10) == [0, 3, 5])
        #expect(throws: LMTrainingError.self) { try CheckpointSchedule(parsing: "every:3") }
        #expect(throws: LMTrainingError.self) { try CheckpointSchedule(parsing: "list:1,x") }
    }

    @Test("transformers loads a SAETrack-written checkpoint and computes the same logits",
          arguments: ["neox", "gpt2"])
    func transformersLoadsSwiftCheckpoint(_ arch: String) throws {
        let dir = try ModelDirectory(TrainingFixture.directory.appendingPathComponent("swift_checkpoint_\(arch)"))
        let model = try TransformerModel(config: dir.config, weights: dir.loadWeights())
        let probe = try SafetensorsFile(contentsOf: TrainingFixture.directory
            .appendingPathComponent("swift_checkpoint_\(arch)_transformers.safetensors"))
        let tokens = try probe.int32s("tokens")
        let logits = TransformerLM(model).logits(tokens: tokens, rows: 2, context: tokens.count / 2)
        #expect(maxRelativeError(logits.storage, try probe.floats("logits")) <= 1e-5)
        let loss = model.forward(tokens: tokens, batch: 2, context: tokens.count / 2)
        #expect(abs(loss - (try probe.floats("loss")[0])) <= 1e-5)
    }

    @Test("every checkpoint reloads bit-exactly, as TransformerModel and as TransformerLM")
    func checkpointsReloadBitExactly() throws {
        let series = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: series) }
        let trainer = try Self.tinyTrainer(Self.tinyNeoX, steps: 3)
        var snapshots: [Int: [Float]] = [:]
        var written: [(Int, URL)] = []
        let log = try trainer.train(schedule: .explicit([0, 2, 3]), seriesDirectory: series, progress: { _ in }) { step, url in
            snapshots[step] = Array(trainer.model.parameters)
            written.append((step, url))
        }
        #expect(written.map(\.0) == [0, 2, 3])
        #expect(log.entries.map(\.step) == [0, 1, 2])
        #expect(snapshots[0] != snapshots[3])
        let probe = trainer.batch(step: 0)
        for (step, url) in written {
            #expect(url.lastPathComponent == "step\(step)")
            let dir = try ModelDirectory(url)
            let reloaded = try TransformerModel(config: dir.config, weights: dir.loadWeights())
            #expect(Array(reloaded.parameters) == snapshots[step]!, "step \(step) did not reload bit-exactly")
            let inference = try TransformerLM(directory: url)
            let a = TransformerLM(reloaded).logits(tokens: probe, rows: 2, context: 16)
            let b = inference.logits(tokens: probe, rows: 2, context: 16)
            #expect(a.storage == b.storage, "step \(step): the directory's model computes other logits")
        }
        let csv = try String(contentsOf: series.appendingPathComponent(TrainingLog.csvName), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 4)   // header + 3 steps
    }

    struct Interrupted: Error {}

    @Test("a run interrupted after a checkpoint resumes to the same weights")
    func resumeMatchesUninterrupted() throws {
        let (full, split) = (Self.temporaryDirectory(), Self.temporaryDirectory())
        defer { try? FileManager.default.removeItem(at: full); try? FileManager.default.removeItem(at: split) }
        let schedule = CheckpointSchedule.explicit([0, 2, 4])
        let reference = try Self.tinyTrainer(Self.tinyNeoX, steps: 4)
        try reference.train(schedule: schedule, seriesDirectory: full, progress: { _ in })

        let first = try Self.tinyTrainer(Self.tinyNeoX, steps: 4)
        #expect(throws: Interrupted.self) {
            try first.train(schedule: schedule, seriesDirectory: split, progress: { _ in }) { step, _ in
                if step == 2 { throw Interrupted() }
            }
        }
        let second = try Self.tinyTrainer(Self.tinyNeoX, steps: 4)
        var lines: [String] = []
        let log = try second.train(schedule: schedule, seriesDirectory: split, progress: { lines.append($0) })
        #expect(lines.first?.hasPrefix("resuming from step 2") == true)
        #expect(log.entries.map(\.step) == [0, 1, 2, 3])
        #expect(Array(second.model.parameters) == Array(reference.model.parameters))
    }
}
