import Foundation
import SAETrackIO
import SAETrack

/// What `train-lm` may do with an existing `--out`: resume or restart its own run of the same
/// model; never write into a series of another model or one it did not write (a downloaded
/// Pythia series, say), where it would replace some checkpoints and leave the others.
enum SeriesOwnership {
    /// Throws when `series` holds checkpoints of a model other than `model`, or (with `restart`)
    /// checkpoints not written by train-lm.
    static func check(_ series: URL, model: ModelConfig, restart: Bool) throws {
        guard FileManager.default.fileExists(atPath: series.path) else { return }
        let existing = (try? CheckpointSeries(series))?.checkpoints ?? []
        guard !existing.isEmpty else { return }
        let ours = isTrainLMRun(series)
        if restart && !ours {
            throw SeriesOwnershipError.notOurs(series: series.path, checkpoints: existing.count)
        }
        guard !restart else { return }
        for c in existing {
            let other: ModelConfig
            do { other = try ModelConfig.load(from: c.url.appendingPathComponent("config.json")) } catch {
                throw SeriesOwnershipError.otherModel(series: series.path, step: c.step, found: "an unreadable config (\(SystemErrorText.describe(error)))", wanted: model.summary)
            }
            if other != model {
                throw SeriesOwnershipError.otherModel(series: series.path, step: c.step, found: other.summary, wanted: model.summary)
            }
        }
        if !ours { throw SeriesOwnershipError.notOurs(series: series.path, checkpoints: existing.count) }
    }

    /// A series train-lm wrote: it has train-lm's fingerprint or optimizer state.
    static func isTrainLMRun(_ series: URL) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: series.appendingPathComponent(RunFingerprint.fileName).path)
            || fm.fileExists(atPath: series.appendingPathComponent(LMTrainer.optimizerStateName).path)
    }

    /// Deletes a train-lm run's checkpoints, optimizer state, logs and fingerprint (--restart).
    static func removeRun(in series: URL) throws {
        let fm = FileManager.default
        guard isTrainLMRun(series) else { return }
        for c in (try? CheckpointSeries(series))?.checkpoints ?? [] { try fm.removeItem(at: c.url) }
        for name in [LMTrainer.optimizerStateName, TrainingLog.csvName, TrainingLog.jsonName, RunFingerprint.fileName] {
            try? fm.removeItem(at: series.appendingPathComponent(name))
        }
    }
}

enum SeriesOwnershipError: Error, CustomStringConvertible {
    case otherModel(series: String, step: Int, found: String, wanted: String)
    case notOurs(series: String, checkpoints: Int)

    var description: String {
        switch self {
        case let .otherModel(s, step, found, wanted):
            return "\(s) already holds a checkpoint series of another model (step \(step): \(found)); this run would train "
                + "\(wanted) and overwrite some of its checkpoints. Nothing was changed; choose a new --out directory."
        case let .notOurs(s, n):
            return "\(s) holds \(n) checkpoint(s) that train-lm did not write (no \(RunFingerprint.fileName) or optimizer state); "
                + "nothing was changed. Choose a new --out directory."
        }
    }
}
