import Foundation
import SAETrackIO

/// Live tracking (the paper's "real-time training aligned with the availability of
/// checkpoints"): hand it to the LM trainer's `onCheckpoint` callback and each SAE-Track stage
/// runs as soon as the checkpoint it needs is written.
///
/// ```swift
/// let live = LiveTrack(directory: trackDir, series: seriesDir, settings: .demo, hook: "blocks.2.hook_resid_pre",
///                      centered: true, provider: provider)
/// try trainer.train(schedule: schedule, seriesDirectory: seriesDir) { step, dir in
///     try live.checkpointWritten(step: step, directory: dir)
/// }
/// try live.catchUp()     // stages of checkpoints written by an earlier, interrupted run
/// ```
public final class LiveTrack {
    public let directory: URL
    public let series: URL
    public let settings: TrackSettings
    public let hook: String
    public let centered: Bool
    public let provider: any CheckpointActivationProvider
    public var baselineSteps: [Int]
    public var baselineBudget: BaselineBudget
    /// From-scratch SAEs (seeds) per baseline step (``TrackConfig/baselineSeeds``).
    public var baselineSeeds: Int
    /// The baseline steps that get every seed (``TrackConfig/baselineSeedSteps``; nil: all of them).
    public var baselineSeedSteps: [Int]?
    public var checkpointEvery: Int
    /// Recorded into the track for `analyze` when the run starts.
    public var evaluationInputs: EvaluationInputs?
    public var progress: (String) -> Void = StandardError.writeLine
    /// The chain, created at the first checkpoint (its d_in comes from the checkpoint's config).
    public private(set) var run: SAETrackRun?

    public init(directory: URL, series: URL, settings: TrackSettings, hook: String, centered: Bool,
                provider: any CheckpointActivationProvider, baselineSteps: [Int] = [], baselineBudget: BaselineBudget = .cumulative,
                baselineSeeds: Int = 1, baselineSeedSteps: [Int]? = nil, checkpointEvery: Int = 100) {
        self.directory = directory; self.series = series; self.settings = settings; self.hook = hook; self.centered = centered
        self.provider = provider; self.baselineSteps = baselineSteps; self.baselineBudget = baselineBudget
        self.baselineSeeds = baselineSeeds; self.baselineSeedSteps = baselineSeedSteps
        self.checkpointEvery = checkpointEvery
    }

    private func open(firstCheckpoint: URL) throws -> SAETrackRun {
        if let run { return run }
        let dIn = try ModelConfig.load(from: firstCheckpoint.appendingPathComponent("config.json")).dModel
        // An existing track keeps its recorded chain; a new one grows as checkpoints arrive.
        let existing = TrackState.exists(in: directory) ? try TrackState.read(from: directory) : nil
        let config = settings.trackConfig(series: series.path, hook: hook, centered: centered, dIn: dIn,
                                          steps: existing?.config.steps ?? [], baselineSteps: baselineSteps,
                                          baselineBudget: baselineBudget, baselineSeeds: baselineSeeds,
                                          baselineSeedSteps: baselineSeedSteps, checkpointEvery: checkpointEvery)
        let urls = Dictionary(uniqueKeysWithValues: (existing?.stages ?? []).map { ($0.step, URL(fileURLWithPath: $0.checkpoint)) })
        let r = try SAETrackRun(directory: directory, config: config, checkpoints: urls, provider: provider,
                                modelName: series.lastPathComponent)
        r.progress = progress
        if let evaluationInputs { try evaluationInputs.write(to: directory) }
        run = r
        return r
    }

    /// Runs the stage of the checkpoint just written (and any unfinished earlier one).
    public func checkpointWritten(step: Int, directory checkpoint: URL) throws {
        let r = try open(firstCheckpoint: checkpoint)
        progress("live track: checkpoint step \(step) written → SAE-Track stage")
        try r.append(step: step, checkpoint: checkpoint)
    }

    /// Appends every checkpoint of the series not yet in the chain (after a resumed LM run, whose
    /// callback skips checkpoints written before the interruption), then finishes all stages.
    public func catchUp() throws {
        let s = try CheckpointSeries(series)
        for c in s.checkpoints {
            let r = try open(firstCheckpoint: c.url)
            if let last = r.state.config.steps.last, c.step < last, !r.state.config.steps.contains(c.step) { continue }
            try r.append(step: c.step, checkpoint: c.url)
        }
        try run?.run()
    }
}
