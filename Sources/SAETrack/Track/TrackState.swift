import Foundation
import SAETrackIO
import SAETrackSAE

/// Progress of one SAE training run inside a track.
public enum StageStatus: String, Codable, Sendable {
    /// Not started.
    case pending
    /// Started; a trainer state may exist under `state/`.
    case training
    /// Finished: SAE saved, evaluated, recorded.
    case done
}

/// One stage of the chain (or one from-scratch baseline run).
public struct TrackStage: Codable, Equatable, Sendable {
    /// LM training step of the checkpoint.
    public var step: Int
    /// Checkpoint directory the activations came from.
    public var checkpoint: String
    public var status: StageStatus
    /// SAE directory relative to the track directory (SAELens layout).
    public var sae: String
    /// Step of the SAE this one was warm-started from (nil: from scratch).
    public var warmStartedFrom: Int?
    /// SAE optimizer steps of this run.
    public var trainingSteps: Int
    /// Training curve (every `logEvery` steps).
    public var log: [TrainingPoint]
    /// Held-out evaluation of the finished SAE.
    public var metrics: StageMetrics?
    /// SHA-256 of the checkpoint's weights, as read for this stage.
    public var weightsSHA256: String?
    /// Streamed tracks: where in the token rows this run's stream started and where it stood
    /// when the run finished (``TrackStream``; nil otherwise).
    public var streamStart: ActivationProducerPosition?
    public var streamEnd: ActivationProducerPosition?
    /// A baseline's seed index at its step, in `0..<baselineSeeds` (``TrackConfig/baselineConfig(index:seed:)``);
    /// 0 for chain stages. Recorded in `track.json` as `seed_index` only when it is not 0.
    public var seedIndex: Int {
        get { recordedSeedIndex ?? 0 }
        set { recordedSeedIndex = newValue == 0 ? nil : newValue }
    }
    private var recordedSeedIndex: Int?

    enum CodingKeys: String, CodingKey {
        case step, checkpoint, status, sae, log, metrics
        case warmStartedFrom = "warm_started_from", trainingSteps = "training_steps", weightsSHA256 = "weights_sha256"
        case streamStart = "stream_start", streamEnd = "stream_end", recordedSeedIndex = "seed_index"
    }

    public init(step: Int, checkpoint: String, status: StageStatus = .pending, sae: String, warmStartedFrom: Int?,
                trainingSteps: Int, log: [TrainingPoint] = [], metrics: StageMetrics? = nil, weightsSHA256: String? = nil,
                seedIndex: Int = 0) {
        self.step = step; self.checkpoint = checkpoint; self.status = status; self.sae = sae
        self.warmStartedFrom = warmStartedFrom; self.trainingSteps = trainingSteps; self.log = log
        self.metrics = metrics; self.weightsSHA256 = weightsSHA256
        self.recordedSeedIndex = seedIndex == 0 ? nil : seedIndex
    }

    /// The files of a from-scratch baseline at `step` with seed index `seed`, relative to the track
    /// directory: `baselines/step{N}` for seed 0 (every track with one seed), `baselines/step{N}-seed{k}`
    /// otherwise; its log and resumable trainer state take the same suffix.
    public static func baselineName(step: Int, seed: Int) -> String {
        "step\(step)" + (seed == 0 ? "" : "-seed\(seed)")
    }
}

/// The content of `track.json`: configuration, the chain's stages in order, the baselines and
/// any checkpoint-integrity warnings. Deterministic (no timestamps), so an interrupted and
/// resumed run writes exactly the same file as an uninterrupted one.
public struct TrackState: Codable, Equatable, Sendable {
    public static let fileName = "track.json"
    public static let formatVersion = 1

    public var format: Int
    public var config: TrackConfig
    public var stages: [TrackStage]
    public var baselines: [TrackStage]
    /// d_in and d_sae of the SAEs.
    public var dIn: Int
    public var dSAE: Int
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case format, config, stages, baselines, warnings
        case dIn = "d_in", dSAE = "d_sae"
    }

    public init(config: TrackConfig, checkpoints: [Int: String]) {
        format = Self.formatVersion
        self.config = config
        dIn = config.firstStage.dIn
        dSAE = config.firstStage.dSAE
        warnings = []
        stages = []
        baselines = []
        for (i, step) in config.steps.enumerated() {
            appendStage(step: step, checkpoint: checkpoints[step] ?? "", index: i)
        }
    }

    /// Adds the stage for a newly available checkpoint (live tracking) and its baselines if requested
    /// (one per seed index, in order).
    public mutating func appendStage(step: Int, checkpoint: String, index: Int) {
        let previous = index == 0 ? nil : config.steps[index - 1]
        stages.append(TrackStage(step: step, checkpoint: checkpoint, sae: "saes/step\(step)", warmStartedFrom: previous,
                                 trainingSteps: config.stageConfig(index: index).steps))
        if config.baselineSteps.contains(step) {
            for seed in 0..<config.baselineSeeds(atStep: step) {
                baselines.append(TrackStage(step: step, checkpoint: checkpoint, sae: "baselines/" + TrackStage.baselineName(step: step, seed: seed),
                                            warmStartedFrom: nil, trainingSteps: config.baselineTrainingSteps(atStageIndex: index),
                                            seedIndex: seed))
            }
        }
    }

    /// Reads `track.json` from a track directory.
    public static func read(from directory: URL) throws -> TrackState {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrackError.unreadableState(file: url.path, reason: "no such file (is \(directory.path) a track directory written by `saetrack track`?)")
        }
        do {
            return try JSONDecoder().decode(TrackState.self, from: Data(contentsOf: url))
        } catch {
            throw TrackError.unreadableState(file: url.path, reason: SystemErrorText.describe(error))
        }
    }

    /// Whether a track directory already holds a state.
    public static func exists(in directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(fileName).path)
    }

    /// Writes `track.json` atomically (sorted keys: byte-identical for equal states).
    public func write(to directory: URL) throws {
        try AtomicFile.write(try Self.encoder.encode(self) + Data("\n".utf8), to: directory.appendingPathComponent(Self.fileName))
    }

    static var encoder: JSONEncoder { JSONFile.encoder() }

    /// True when no stage or baseline has started and no trainer state exists in `directory`.
    public func hasNoWork(in directory: URL) -> Bool {
        (stages + baselines).allSatisfy { $0.status == .pending }
            && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("state").path)
    }

    /// Stages not finished (status other than done), in chain order.
    public var unfinishedStages: [TrackStage] { stages.filter { $0.status != .done } }

    /// Index of the first stage not finished, or nil when the chain is complete.
    public var nextStageIndex: Int? { stages.firstIndex { $0.status != .done } }
}
