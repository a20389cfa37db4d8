import Foundation
import SAETrackIO

/// One line of the training log: the loss of step `step`'s batch before its update.
public struct LMTrainingLogEntry: Codable, Equatable, Sendable {
    public var step: Int
    public var loss: Float
    public var learningRate: Float
    public var gradNorm: Float
    public var tokensPerSecond: Double
    public var elapsedSeconds: Double

    enum CodingKeys: String, CodingKey {
        case step, loss
        case learningRate = "lr", gradNorm = "grad_norm", tokensPerSecond = "tokens_per_second"
        case elapsedSeconds = "elapsed_seconds"
    }
}

/// The training log of a series directory: `training_log.csv` (one row per step) and
/// `training_log.json` (model config, training config, checkpoints, entries), rewritten atomically.
public struct TrainingLog: Codable, Sendable {
    public var model: String
    public var training: LMTrainingConfig
    public var checkpoints: [Int] = []
    public var entries: [LMTrainingLogEntry] = []
    /// The planted features' schedule the batches followed (`PlantedFeatureWindow`); nil: none.
    public var curriculum: [PlantedFeatureWindow]? = nil

    /// File names inside the series directory.
    public static let csvName = "training_log.csv"
    public static let jsonName = "training_log.json"

    /// Writes both files into `directory`.
    public func write(to directory: URL) throws {
        var csv = "step,loss,lr,grad_norm,tokens_per_second,elapsed_seconds\n"
        for e in entries {
            csv += "\(e.step),\(e.loss),\(e.learningRate),\(e.gradNorm),\(String(format: "%.1f", e.tokensPerSecond)),\(String(format: "%.3f", e.elapsedSeconds))\n"
        }
        try AtomicFile.write(csv, to: directory.appendingPathComponent(Self.csvName))
        try JSONFile.write(self, to: directory.appendingPathComponent(Self.jsonName))
    }

    /// Reads `training_log.json` from `directory`.
    public static func read(from directory: URL) throws -> TrainingLog {
        let url = directory.appendingPathComponent(jsonName)
        do {
            return try JSONDecoder().decode(TrainingLog.self, from: Data(contentsOf: url))
        } catch {
            throw LMTrainingError.seriesDirectory(path: url.path, reason: "unreadable training log: \(SystemErrorText.describe(error))")
        }
    }
}
