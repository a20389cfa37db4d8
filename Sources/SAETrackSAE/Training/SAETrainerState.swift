import Foundation
import SAETrackCore
import SAETrackIO

/// The resumable state of an ``SAETrainer`` on disk:
/// ```
/// <dir>/trainer_state.safetensors   W_enc_T, b_enc, W_dec, b_dec and adam_m.* / adam_v.* (F32),
///                                   passes_since_fired (I32), firing_counts, last_window_frequency
/// <dir>/trainer_state.json          config, step, Adam step, window tokens, log
/// <dir>/source.json (...)           the activation source's position (its own files)
/// ```
/// The directory is written beside the target and renamed over it, so a crash leaves either the old
/// or the new state, never a mixture.
struct SAETrainerState {
    var config: SAETrainingConfig
    var parameters: SAEParameters
    var optimizer: Adam
    var step: Int
    var passesSinceFired: [Int32]
    var firingCounts: [Float]
    var windowTokens: Int
    var lastWindowFrequency: [Float]
    /// BatchTopK's running threshold (0 otherwise).
    var topkThreshold: Double
    /// JumpReLU's θ and its Adam moments (empty otherwise).
    var threshold: [Float]
    var thresholdM: [Float]
    var thresholdV: [Float]
    var log: [SAETrainingLogEntry]

    private struct Header: Codable {
        var format = "saetrack-sae-trainer-state/1"
        var config: SAETrainingConfig
        var step: Int
        var adamStep: Int
        var windowTokens: Int
        /// Absent in states written before BatchTopK (read as 0).
        var topkThreshold: Double?
        var log: [SAETrainingLogEntry]
        enum CodingKeys: String, CodingKey {
            case format, config, step, adamStep = "adam_step", windowTokens = "window_tokens", log
            case topkThreshold = "topk_threshold"
        }
    }

    static func write(_ trainer: SAETrainer, to directory: URL) throws {
        let s = trainer.snapshot
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let tmp = parent.appendingPathComponent(".\(directory.lastPathComponent).tmp-\(UUID().uuidString)")
        try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        var tensors: [String: TensorData] = [:]
        func add(_ prefix: String, _ p: SAEParameters) {
            tensors[prefix + "W_enc_T"] = TensorData(p.wEncT)
            tensors[prefix + "b_enc"] = TensorData(shape: [p.bEnc.count], floats: p.bEnc)
            tensors[prefix + "W_dec"] = TensorData(p.wDec)
            tensors[prefix + "b_dec"] = TensorData(shape: [p.bDec.count], floats: p.bDec)
        }
        add("", s.parameters)
        add("adam_m.", s.optimizer.m)
        add("adam_v.", s.optimizer.v)
        tensors["passes_since_fired"] = TensorData(shape: [s.passesSinceFired.count], int32s: s.passesSinceFired)
        tensors["firing_counts"] = TensorData(shape: [s.firingCounts.count], floats: s.firingCounts)
        tensors["last_window_frequency"] = TensorData(shape: [s.lastWindowFrequency.count], floats: s.lastWindowFrequency)
        if !s.threshold.isEmpty {
            tensors["threshold"] = TensorData(shape: [s.threshold.count], floats: s.threshold)
            tensors["adam_m.threshold"] = TensorData(shape: [s.thresholdM.count], floats: s.thresholdM)
            tensors["adam_v.threshold"] = TensorData(shape: [s.thresholdV.count], floats: s.thresholdV)
        }
        try SafetensorsWriter.write(tensors, metadata: ["format": "saetrack-sae-trainer-state/1"],
                                    to: tmp.appendingPathComponent("trainer_state.safetensors"))
        let header = Header(config: s.config, step: s.step, adamStep: s.optimizer.step, windowTokens: s.windowTokens,
                            topkThreshold: s.topkThreshold, log: s.log)
        try JSONFile.write(header, to: tmp.appendingPathComponent("trainer_state.json"))
        try trainer.source.saveState(to: tmp)
        if fm.fileExists(atPath: directory.path) {
            let old = parent.appendingPathComponent(".\(directory.lastPathComponent).old-\(UUID().uuidString)")
            try fm.moveItem(at: directory, to: old)
            try fm.moveItem(at: tmp, to: directory)
            try? fm.removeItem(at: old)
        } else {
            try fm.moveItem(at: tmp, to: directory)
        }
    }

    static func read(from directory: URL) throws -> SAETrainerState {
        let jsonURL = directory.appendingPathComponent("trainer_state.json")
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(contentsOf: jsonURL))
        } catch {
            throw SAETrainingError.badState(jsonURL, "\(error)")
        }
        let url = directory.appendingPathComponent("trainer_state.safetensors")
        let file = try SafetensorsFile(contentsOf: url)
        let (d, m) = (header.config.dIn, header.config.dSAE)
        func params(_ prefix: String) throws -> SAEParameters {
            let wEncT = try file.matrix(prefix + "W_enc_T"), wDec = try file.matrix(prefix + "W_dec")
            let bEnc = try file.floats(prefix + "b_enc"), bDec = try file.floats(prefix + "b_dec")
            guard wEncT.rows == m && wEncT.cols == d && wDec.rows == m && wDec.cols == d && bEnc.count == m && bDec.count == d else {
                throw SAETrainingError.badState(url, "\(prefix)tensors do not have shape (d_in \(d), d_sae \(m))")
            }
            return SAEParameters(wEncT: wEncT, bEnc: bEnc, wDec: wDec, bDec: bDec)
        }
        var adam = Adam(dIn: d, dSAE: m, beta1: header.config.adamBeta1, beta2: header.config.adamBeta2,
                        epsilon: header.config.adamEpsilon)
        adam.m = try params("adam_m.")
        adam.v = try params("adam_v.")
        adam.step = header.adamStep
        let passes = try file.int32s("passes_since_fired")
        let counts = try file.floats("firing_counts")
        let last = try file.floats("last_window_frequency")
        var theta: [Float] = [], thetaM: [Float] = [], thetaV: [Float] = []
        if header.config.architecture == .jumprelu {
            theta = try file.floats("threshold"); thetaM = try file.floats("adam_m.threshold"); thetaV = try file.floats("adam_v.threshold")
            guard theta.count == m && thetaM.count == m && thetaV.count == m else {
                throw SAETrainingError.badState(url, "JumpReLU thresholds do not have d_sae = \(m) entries")
            }
        }
        guard passes.count == m && counts.count == m && last.count == m else {
            throw SAETrainingError.badState(url, "feature counters do not have d_sae = \(m) entries")
        }
        return SAETrainerState(config: header.config, parameters: try params(""), optimizer: adam, step: header.step,
                               passesSinceFired: passes, firingCounts: counts, windowTokens: header.windowTokens,
                               lastWindowFrequency: last, topkThreshold: header.topkThreshold ?? 0,
                               threshold: theta, thresholdM: thetaM, thresholdV: thetaV, log: header.log)
    }
}
