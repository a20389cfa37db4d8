import Foundation
import SAETrackCore
import SAETrackIO

/// A crosscoder run's resumable state in one directory: `crosscoder_state.safetensors` (the
/// parameters, both Adam moments and the current epoch's row order) and `crosscoder_state.json`
/// (config, step, Adam step, generator state, cursor, log, elapsed seconds). Written by
/// ``CrosscoderTrainer/saveState(to:)`` at chunk boundaries; ``CrosscoderTrainer/init(resumingFrom:snapshots:config:names:)``
/// continues with exactly the batches and updates the uninterrupted run would have made.
struct CrosscoderTrainerState: Codable {
    static let tensorsFile = "crosscoder_state.safetensors"
    static let jsonFile = "crosscoder_state.json"

    var config: CrosscoderTrainingConfig
    var snapshots: Int
    var dIn: Int
    var rows: Int
    var step: Int
    var adamStep: Int
    var rng: [UInt64]
    var cursor: Int
    var elapsedSeconds: Double
    var log: [CrosscoderLogEntry]

    enum CodingKeys: String, CodingKey {
        case config, snapshots, rows, step, rng, cursor, log
        case dIn = "d_in", adamStep = "adam_step", elapsedSeconds = "elapsed_seconds"
    }
}

extension CrosscoderTrainer {
    /// Writes the resumable state into `directory` (created if needed; each file atomically, the
    /// JSON last, so a directory without it holds no usable state).
    public func saveState(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let s = resumable
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(CrosscoderTrainerState.jsonFile))
        try SafetensorsWriter.write(["parameters": TensorData(shape: [parameters.values.count], floats: parameters.values),
                                     "adam_m": TensorData(shape: [s.m.count], floats: s.m), "adam_v": TensorData(shape: [s.v.count], floats: s.v),
                                     "order": TensorData(shape: [s.order.count], int32s: s.order.map { Int32($0) })],
                                    to: directory.appendingPathComponent(CrosscoderTrainerState.tensorsFile))
        try JSONFile.write(s.state, to: directory.appendingPathComponent(CrosscoderTrainerState.jsonFile))
    }

    /// True when `directory` holds a complete saved state.
    public static func hasState(in directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(CrosscoderTrainerState.jsonFile).path)
    }

    /// Continues the run saved in `directory` on the same `snapshots` with the same `config`.
    /// - Throws: ``CrosscoderError/unreadable(file:reason:)`` when the state is damaged, or was
    ///   saved with other settings, snapshot count, width or token count (named).
    public init(resumingFrom directory: URL, snapshots: [Matrix], config: CrosscoderTrainingConfig, names: [String]? = nil) throws {
        let jsonURL = directory.appendingPathComponent(CrosscoderTrainerState.jsonFile)
        let tensorsURL = directory.appendingPathComponent(CrosscoderTrainerState.tensorsFile)
        let state: CrosscoderTrainerState
        do { state = try JSONFile.read(CrosscoderTrainerState.self, from: jsonURL) } catch {
            throw CrosscoderError.unreadable(file: jsonURL.path, reason: "\(error)")
        }
        func refuse(_ why: String) -> CrosscoderError { .unreadable(file: jsonURL.path, reason: why + "; remove \(directory.path) to start over") }
        guard state.config == config else { throw refuse("saved with other training settings") }
        guard state.snapshots == snapshots.count, state.dIn == snapshots.first?.cols, state.rows == snapshots.first?.rows else {
            throw refuse("saved for \(state.snapshots) snapshots of (\(state.rows), \(state.dIn)) activations, given \(snapshots.count) of (\(snapshots.first?.rows ?? 0), \(snapshots.first?.cols ?? 0))")
        }
        try self.init(snapshots: snapshots, config: config, names: names)
        let file = try SafetensorsFile(contentsOf: tensorsURL)
        let values = try file.floats("parameters"), m = try file.floats("adam_m"), v = try file.floats("adam_v")
        let order = try file.int32s("order").map(Int.init)
        guard values.count == parameters.values.count, m.count == values.count, v.count == values.count,
              state.rng.count == 4, state.cursor <= order.count, order.allSatisfy({ $0 >= 0 && $0 < state.rows }) else {
            throw CrosscoderError.unreadable(file: tensorsURL.path, reason: "its tensors do not match the saved run's shapes")
        }
        restore(parameters: values, m: m, v: v, state: state, order: order)
    }
}
