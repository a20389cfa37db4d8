import Foundation
import SAETrackCore
import SAETrackIO

/// Trains a GPT-NeoX or GPT-2 model from scratch over a token file and saves a checkpoint series
/// that the SAE-Track pipeline reads:
///
///     <series>/step{N}/config.json + model.safetensors     (transformers-loadable, F32)
///     <series>/training_log.csv, training_log.json          (loss, lr, grad norm, tokens/s per step)
///     <series>/optimizer_state.safetensors                  (AdamW moments at the last checkpoint)
///
/// Checkpoint `step{N}` holds the weights after N updates (`step0` is the initialisation). A run
/// interrupted after a checkpoint resumes from it: same weights, optimizer state and batch order.
public final class LMTrainer {
    public let config: ModelConfig
    public let training: LMTrainingConfig
    /// The model being trained.
    public let model: TransformerModel
    private let tokens: [Int32]       // (rows, fileContext)
    private let rows: Int
    private let fileContext: Int
    private var optimizer: AdamW
    private var sampler: BatchSampler
    /// The schedule of planted features' data, when training follows one.
    public let curriculum: TrainingCurriculum?

    /// Name of the optimizer-state file in the series directory.
    public static let optimizerStateName = "optimizer_state.safetensors"

    /// - Parameters:
    ///   - tokens: (rows, context) row-major token ids of the training file, each `< vocabSize`.
    ///   - source: names the token file in errors.
    ///   - curriculum: which rows each step may draw (a synthetic corpus' schedule over these rows;
    ///     nil: every row from step 0); recorded in `training_log.json`.
    public init(config: ModelConfig, training: LMTrainingConfig, tokens: [Int32], rows: Int, context: Int,
                source: String = "tokens", curriculum: TrainingCurriculum? = nil) throws {
        try training.validate()
        guard rows >= 1, tokens.count == rows * context else {
            throw LMTrainingError.invalidTokens(file: source, reason: "\(tokens.count) tokens do not form \(rows) rows of \(context)")
        }
        guard training.context <= context else {
            throw LMTrainingError.invalidTokens(file: source, reason: "rows hold \(context) tokens, training asks for context \(training.context)")
        }
        guard training.context <= config.contextLength else {
            throw LMTrainingError.invalidTrainingConfig("context \(training.context) exceeds the model's \(config.contextLength) positions")
        }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            throw LMTrainingError.invalidTokens(file: source, reason: "token id \(bad) is outside the model's vocabulary 0..<\(config.vocabSize)")
        }
        if let curriculum, let bad = curriculum.phases.lazy.flatMap(\.rows).first(where: { $0 < 0 || $0 >= rows }) {
            throw LMTrainingError.invalidTokens(file: source, reason: "the curriculum draws row \(bad); the file has \(rows) rows")
        }
        self.config = config
        self.training = training
        self.curriculum = curriculum
        self.tokens = tokens
        self.rows = rows
        self.fileContext = context
        model = try TransformerModel(config: config, seed: training.seed, initializerRange: training.initializerRange)
        optimizer = AdamW(layout: model.layout, beta1: training.beta1, beta2: training.beta2,
                          epsilon: training.epsilon, weightDecay: training.weightDecay)
        sampler = curriculum.map { BatchSampler(phases: $0.phases, batchRows: training.batchRows, seed: training.seed) }
            ?? BatchSampler(rows: rows, batchRows: training.batchRows, seed: training.seed)
    }

    /// A trainer over a token file's rows (`TokenDataset`: `tokens` I32 [rows, context]).
    public convenience init(config: ModelConfig, training: LMTrainingConfig, tokens: TokenDataset,
                            source: String = "tokens") throws {
        try self.init(config: config, training: training, tokens: tokens.tokens, rows: tokens.rows,
                      context: tokens.context, source: source)
    }

    /// Step `step`'s batch: (batchRows, context), each row truncated to the training context.
    public func batch(step: Int) -> [Int32] {
        let t = training.context
        var out = [Int32]()
        out.reserveCapacity(training.batchRows * t)
        for r in sampler.rowIndices(step: step) {
            out.append(contentsOf: tokens[(r * fileContext)..<(r * fileContext + t)])
        }
        return out
    }

    /// Runs the whole schedule, writing checkpoints as it goes.
    /// - Parameters:
    ///   - schedule: which steps to save (only steps ≤ `training.steps` count).
    ///   - seriesDirectory: created if missing.
    ///   - resume: continue from the series' last checkpoint when it holds optimizer state for it.
    ///   - progress: called with each progress line (default: printed to stderr every `logEvery` steps).
    ///   - onCheckpoint: called with (step, directory) right after each checkpoint is written.
    /// - Returns: the training log.
    @discardableResult
    public func train(schedule: CheckpointSchedule, seriesDirectory: URL, resume: Bool = true,
                      progress: ((String) -> Void)? = nil,
                      onCheckpoint: (Int, URL) throws -> Void = { _, _ in }) throws -> TrainingLog {
        let fm = FileManager.default
        do { try fm.createDirectory(at: seriesDirectory, withIntermediateDirectories: true) } catch {
            throw LMTrainingError.seriesDirectory(path: seriesDirectory.path, reason: "cannot create: \(SystemErrorText.describe(error))")
        }
        let report = progress ?? StandardError.writeLine
        let checkpoints = schedule.steps(upTo: training.steps)
        var log = TrainingLog(model: config.summary, training: training, checkpoints: checkpoints, curriculum: curriculum?.windows)
        var start = 0
        if resume, let resumed = try resumeState(seriesDirectory) {
            start = resumed.step
            log.entries = resumed.entries
            report("resuming from step \(start) in \(seriesDirectory.path)")
        }
        let tokensPerStep = Double(training.batchRows * training.context)
        let clock = ContinuousClock()
        let began = clock.now
        var computeSeconds = 0.0
        // Time spent writing checkpoints and in `onCheckpoint` (a live SAE-Track stage), so the ETA
        // can charge the checkpoints still ahead at their own average cost, not the steps'.
        var checkpointSeconds = 0.0, checkpointsDone = 0
        let pending = Set(checkpoints)
        for step in start...training.steps {
            if pending.contains(step), !(step == start && start > 0) {
                let checkpointBegan = clock.now
                let dir = try saveCheckpoint(step: step, in: seriesDirectory, log: log)
                try onCheckpoint(step, dir)
                checkpointSeconds += (clock.now - checkpointBegan).seconds
                checkpointsDone += 1
            }
            if step == training.steps { break }
            let stepBegan = clock.now
            let batch = self.batch(step: step)
            model.zeroGradients()
            let loss = model.forward(tokens: batch, batch: training.batchRows, context: training.context, computeGradients: true)
            model.backward()
            let lr = training.schedule.learningRate(at: step)
            let norm = optimizer.clipAndStep(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients),
                                             learningRate: lr, maxNorm: training.gradClip)
            computeSeconds += (clock.now - stepBegan).seconds
            let done = step + 1 - start
            let rate = Double(done) * tokensPerStep / max(computeSeconds, 1e-9)
            let elapsed = (clock.now - began).seconds
            log.entries.append(LMTrainingLogEntry(step: step, loss: loss, learningRate: lr, gradNorm: norm,
                                                  tokensPerSecond: rate, elapsedSeconds: elapsed))
            guard loss.isFinite else {
                throw LMTrainingError.invalidTrainingConfig("loss became \(loss) at step \(step); lower the learning rate")
            }
            if (step + 1) % training.logEvery == 0 || step + 1 == training.steps {
                let checkpointsLeft = pending.filter { $0 > step }.count
                let eta = computeSeconds / Double(done) * Double(training.steps - step - 1)
                    + (checkpointsDone > 0 ? checkpointSeconds / Double(checkpointsDone) * Double(checkpointsLeft) : 0)
                report(String(format: "step %d/%d  loss %.4f  lr %.2e  |g| %.3f  %.1fk tok/s  ",
                              step + 1, training.steps, loss, lr, norm, rate / 1000) + "ETA " + ProgressClock.format(eta))
            }
        }
        try log.write(to: seriesDirectory)
        return log
    }

    /// Writes `step{N}/`, the optimizer state and the log; returns the checkpoint directory.
    private func saveCheckpoint(step: Int, in series: URL, log: TrainingLog) throws -> URL {
        let dir = series.appendingPathComponent("step\(step)")
        try ModelDirectory.write(config: config, weights: model.weights(), to: dir)
        try SafetensorsWriter.write(
            ["m": TensorData(shape: [optimizer.m.count], floats: optimizer.m),
             "v": TensorData(shape: [optimizer.v.count], floats: optimizer.v)],
            metadata: ["step": "\(step)", "adam_steps": "\(optimizer.stepCount)", "model": config.summary],
            to: series.appendingPathComponent(Self.optimizerStateName))
        try log.write(to: series)
        return dir
    }

    /// The last checkpoint with matching optimizer state, loaded into the model and optimizer.
    private func resumeState(_ series: URL) throws -> (step: Int, entries: [LMTrainingLogEntry])? {
        let stateURL = series.appendingPathComponent(Self.optimizerStateName)
        guard FileManager.default.fileExists(atPath: stateURL.path) else { return nil }
        let state = try SafetensorsFile(contentsOf: stateURL)
        guard let step = state.metadata["step"].flatMap(Int.init), let adamSteps = state.metadata["adam_steps"].flatMap(Int.init),
              step > 0, step <= training.steps else { return nil }
        let dir = series.appendingPathComponent("step\(step)")
        let directory = try ModelDirectory(dir)
        guard directory.config == config else {
            throw LMTrainingError.seriesDirectory(path: dir.path, reason: "holds a different model (\(directory.config.summary)); use a new directory")
        }
        let weights = try directory.loadWeights()
        for t in model.layout.tensors {
            guard let m = weights[t.name], m.count == t.count else {
                throw LMTrainingError.seriesDirectory(path: dir.path, reason: "checkpoint lacks \(t.name)")
            }
            m.withUnsafeBufferPointer { _ = UnsafeMutableBufferPointer(rebasing: model.parameters[t.range]).update(fromContentsOf: $0) }
        }
        let m = try state.floats("m"), v = try state.floats("v")
        guard m.count == model.layout.count, v.count == model.layout.count else {
            throw LMTrainingError.seriesDirectory(path: stateURL.path, reason: "optimizer state does not match the model")
        }
        optimizer = AdamW(layout: model.layout, beta1: training.beta1, beta2: training.beta2, epsilon: training.epsilon,
                          weightDecay: training.weightDecay, stepCount: adamSteps, m: m, v: v)
        let previous = try? TrainingLog.read(from: series)
        if let previous, previous.curriculum != curriculum?.windows {
            throw LMTrainingError.seriesDirectory(path: series.path, reason: "was trained with a different curriculum; use a new directory")
        }
        let entries = previous?.entries.filter { $0.step < step } ?? []
        return (step, entries)
    }

}

extension Duration {
    /// The duration in seconds as a `Double`.
    fileprivate var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}
