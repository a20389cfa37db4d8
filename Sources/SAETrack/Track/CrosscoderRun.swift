import Foundation
import SAETrackCore
import SAETrackIO
import SAETrackSAE

/// One cross-snapshot crosscoder trained over chosen checkpoints of a series (Docs/Method.md
/// §5.7), from the same activation provider a track uses: every checkpoint's training and
/// evaluation activations are read and held together, the crosscoder is trained, evaluated on the
/// held-out rows, and written with its record (`CrosscoderFiles`). Training saves a resumable
/// state in `<out>/state/` every ``checkpointEvery`` steps, and a rerun continues from it.
/// `saetrack crosscoder` and the demo's head-to-head both run it.
///
/// ```swift
/// let run = CrosscoderRun(checkpoints: [(60, dir60), (120, dir120)], provider: provider, config: config,
///                         inputs: .init(series: series, tokens: tokens, hook: hook, centered: true))
/// let record = try run.run(to: out)      // out/crosscoder.safetensors, trajectories, evaluation, config.json
/// ```
public struct CrosscoderRun {
    /// Where the activations come from, as recorded.
    public struct Inputs: Codable, Equatable, Sendable {
        public var series: String
        public var tokens: String
        public var hook: String
        public var centered: Bool
        public init(series: String, tokens: String, hook: String, centered: Bool) {
            self.series = series; self.tokens = tokens; self.hook = hook; self.centered = centered
        }
    }

    /// What `config.json` records: the inputs, every setting, and the measured cost.
    public struct Record: Codable, Equatable, Sendable {
        public var series: String
        public var tokens: String
        public var hook: String
        public var centered: Bool
        public var checkpoints: [Int]
        public var checkpointSHA256: [String]
        public var dIn: Int
        public var trainTokens: Int
        public var evalTokens: Int
        /// Bytes of float32 activations held together: snapshots × (train + eval tokens) × d_in × 4.
        public var activationBytes: Int
        public var training: CrosscoderTrainingConfig
        public var inputScales: [Float]
        /// Wall and process CPU seconds of the training loop (activations and evaluation left out);
        /// nil after a resume, whose time before the interruption is not kept.
        public var trainingWallSeconds: Double?
        public var trainingCPUSeconds: Double?
        public var version: String

        enum CodingKeys: String, CodingKey {
            case series, tokens, hook, centered, checkpoints, checkpointSHA256 = "checkpoint_sha256", dIn = "d_in"
            case trainTokens = "train_tokens", evalTokens = "eval_tokens", activationBytes = "activation_bytes", training
            case inputScales = "input_scales", trainingWallSeconds = "training_wall_seconds"
            case trainingCPUSeconds = "training_cpu_seconds", version
        }

        /// The record in `directory` (nil when there is none or it cannot be read).
        public static func existing(in directory: URL) -> Record? {
            let url = directory.appendingPathComponent(CrosscoderFiles.configFile)
            guard FileManager.default.fileExists(atPath: url.path),
                  FileManager.default.fileExists(atPath: directory.appendingPathComponent(CrosscoderFiles.weightsFile).path) else { return nil }
            return try? JSONFile.read(Record.self, from: url)
        }
    }

    /// Checkpoints in snapshot order.
    public var checkpoints: [(step: Int, url: URL)]
    public var provider: any CheckpointActivationProvider
    public var config: CrosscoderTrainingConfig
    public var inputs: Inputs
    /// Save a resumable state (`<out>/state/`) every this many steps; a killed run rerun with the
    /// same inputs and settings continues from the last one, with the same result.
    public var checkpointEvery = 100
    public var progress: (String) -> Void = StandardError.writeLine

    /// What a saved state was made from (`<out>/state/run.json`): a resume must read the same.
    struct StateInputs: Codable, Equatable {
        var inputs: Inputs
        var checkpoints: [Int]
        var checkpointSHA256: [String]
        enum CodingKeys: String, CodingKey { case inputs, checkpoints, checkpointSHA256 = "checkpoint_sha256" }
    }

    public init(checkpoints: [(step: Int, url: URL)], provider: any CheckpointActivationProvider, config: CrosscoderTrainingConfig,
                inputs: Inputs) {
        self.checkpoints = checkpoints; self.provider = provider; self.config = config; self.inputs = inputs
    }

    /// True when `record` was written by a run of these checkpoints, inputs and settings.
    public func isFinished(by record: Record) -> Bool {
        record.checkpoints == checkpoints.map(\.step) && record.training == config && record.hook == inputs.hook
            && record.centered == inputs.centered && record.series == inputs.series && record.tokens == inputs.tokens
    }

    /// Reads every checkpoint's activations, trains, evaluates and writes `out`.
    /// - Throws: `CrosscoderError` (settings, shapes, non-finite activations, divergence) or the
    ///   provider's and the file system's errors.
    @discardableResult
    public func run(to out: URL) throws -> Record {
        let problems = config.problems()
        guard problems.isEmpty else { throw CrosscoderError.invalidConfig(problems) }
        guard checkpoints.count >= 2 else { throw CrosscoderError.invalidConfig(["a crosscoder needs at least 2 checkpoints (got \(checkpoints.count))"]) }
        var trainSets: [Matrix] = [], evalSets: [Matrix] = [], digests: [String] = []
        for (i, c) in checkpoints.enumerated() {
            let started = Date()
            let a = try provider.activations(step: c.step, checkpoint: c.url)
            trainSets.append(a.train); evalSets.append(a.eval); digests.append(a.weightsSHA256 ?? "")
            if i == 0 {
                let tokens = a.train.rows + a.eval.rows
                progress("crosscoder: every checkpoint's activations are held together: \(checkpoints.count) × \(tokens) tokens × \(a.train.cols) floats ≈ "
                         + "\(CostEstimate.compact(Double(checkpoints.count * tokens * a.train.cols * MemoryLayout<Float>.size)))B (the chain holds one checkpoint's at a time)")
            }
            progress(String(format: "crosscoder: activations %d/%d: step %d, %d + %d tokens in %.2f s", i + 1, checkpoints.count, c.step,
                            a.train.rows, a.eval.rows, Date().timeIntervalSince(started)))
        }
        let (dIn, trainTokens, evalTokens) = (trainSets[0].cols, trainSets[0].rows, evalSets[0].rows)
        let names = checkpoints.map { "\($0.url.path) at \(inputs.hook)" }
        let stateDir = out.appendingPathComponent("state")
        let runFile = stateDir.appendingPathComponent("run.json")
        let made = StateInputs(inputs: inputs, checkpoints: checkpoints.map(\.step), checkpointSHA256: digests)
        var trainer: CrosscoderTrainer
        if CrosscoderTrainer.hasState(in: stateDir) {
            guard let saved = try? JSONFile.read(StateInputs.self, from: runFile), saved == made else {
                throw CrosscoderError.unreadable(file: runFile.path, reason: "the saved state was made from other checkpoints, weights, tokens or hook; remove \(stateDir.path) to start over")
            }
            trainer = try CrosscoderTrainer(resumingFrom: stateDir, snapshots: trainSets, config: config, names: names)
            progress("crosscoder: resuming at step \(trainer.step)/\(config.steps) from \(stateDir.path)")
        } else {
            trainer = try CrosscoderTrainer(snapshots: trainSets, config: config, names: names)
            try FileManager.default.createDirectory(at: stateDir, withIntermediateDirectories: true)
            try JSONFile.write(made, to: runFile)
        }
        trainSets = []
        let steps = config.steps, resumedAt = trainer.step
        let clock = ProgressClock(total: Double(steps), startingAt: Double(resumedAt))
        let watch = Stopwatch()
        while trainer.step < steps {
            try trainer.train(untilStep: min(steps, (trainer.step / max(1, checkpointEvery) + 1) * max(1, checkpointEvery))) { [progress] e in
                let ev = e.terms.explainedVariancePerSnapshot.map { String(format: "%.3f", $0) }.joined(separator: " ")
                progress(String(format: "crosscoder: step %d/%d  loss %.5g  mse %.4g  L0 %.1f  EV per checkpoint [%@]  ETA %@",
                                e.step, steps, e.terms.loss, e.terms.mse, e.terms.l0, ev,
                                ProgressClock.format(clock.secondsLeft(at: Double(e.step)))))
            }
            if trainer.step < steps { try trainer.saveState(to: stateDir) }
        }
        let span = watch.elapsed
        let terms = try trainer.evaluate(evalSets)
        let stepsList = checkpoints.map(\.step)
        let evaluation = CrosscoderEvaluation(terms: terms, steps: stepsList, inputScales: trainer.inputScales, tokens: evalTokens)
        let record = Record(series: inputs.series, tokens: inputs.tokens, hook: inputs.hook, centered: inputs.centered,
                            checkpoints: stepsList, checkpointSHA256: digests, dIn: dIn, trainTokens: trainTokens, evalTokens: evalTokens,
                            activationBytes: checkpoints.count * (trainTokens + evalTokens) * dIn * MemoryLayout<Float>.size,
                            training: config, inputScales: trainer.inputScales,
                            trainingWallSeconds: resumedAt == 0 ? span.wallSeconds : nil,
                            trainingCPUSeconds: resumedAt == 0 ? span.cpuSeconds : nil, version: SAETrackVersion.current)
        try CrosscoderFiles.write(trainer, steps: stepsList, evaluation: evaluation, record: record, to: out)
        try? FileManager.default.removeItem(at: stateDir)
        for s in evaluation.snapshots {
            progress(String(format: "crosscoder: held out, step %d: EV %.4f  MSE %.4g  L0 %.1f", s.step, s.explainedVariance, s.mse, s.l0))
        }
        return record
    }
}
