import Foundation
import SAETrackCore
import SAETrackIO

/// Per-snapshot reconstruction quality of a trained crosscoder on held-out tokens (`evaluation.json`).
public struct CrosscoderEvaluation: Sendable, Equatable, Codable {
    public struct Snapshot: Sendable, Equatable, Codable {
        public var step: Int
        /// `mean_b ‖x_bs − x̂_bs‖²`, in the scaled space (``CrosscoderInputScaling``).
        public var mse: Float
        public var explainedVariance: Float
        /// Mean non-zero latents per token of the shared code (the same at every snapshot).
        public var l0: Float
        /// The factor this snapshot's activations were multiplied by.
        public var inputScale: Float

        enum CodingKeys: String, CodingKey { case step, mse, explainedVariance = "explained_variance", l0, inputScale = "input_scale" }
    }
    /// Held-out tokens evaluated.
    public var tokens: Int
    public var snapshots: [Snapshot]
    /// The whole held-out loss (Σ_s MSE + the L1 penalty).
    public var terms: CrosscoderLossTerms

    public init(terms: CrosscoderLossTerms, steps: [Int], inputScales: [Float], tokens: Int) {
        self.tokens = tokens; self.terms = terms
        snapshots = steps.indices.map {
            Snapshot(step: steps[$0], mse: terms.msePerSnapshot[$0], explainedVariance: terms.explainedVariancePerSnapshot[$0],
                     l0: terms.l0, inputScale: inputScales[$0])
        }
    }

    /// CSV: `step,mse,explained_variance,l0,input_scale`, one line per snapshot.
    public var csv: String {
        (["step,mse,explained_variance,l0,input_scale"] + snapshots.map { "\($0.step),\($0.mse),\($0.explainedVariance),\($0.l0),\($0.inputScale)" })
            .joined(separator: "\n") + "\n"
    }
}

/// The files of a trained crosscoder in one directory, written by ``write(_:steps:evaluation:record:to:)``:
///
/// | file | contents |
/// |------|----------|
/// | `crosscoder.safetensors` | `W_enc` (S, d_in, d_sae), `b_enc`, `W_dec` (S, d_sae, d_in), `b_dec` (S, d_in), `input_scale` (S), `steps` (S, I32); the training config in the metadata |
/// | `trajectories.json` / `.csv` | ``CrosscoderTrajectories``: every latent's decoder norm per snapshot, peak and onset steps |
/// | `evaluation.json` / `.csv` | ``CrosscoderEvaluation``: per-snapshot MSE, explained variance, L0 on held-out tokens |
/// | `training_log.json` / `.csv` | ``CrosscoderLogEntry`` every `log_every` steps |
/// | `config.json` | the caller's record (inputs, settings) |
public enum CrosscoderFiles {
    public static let weightsFile = "crosscoder.safetensors"
    public static let configFile = "config.json"
    /// Every file ``write(_:steps:evaluation:record:to:)`` writes.
    public static let all = [weightsFile, configFile, "trajectories.json", "trajectories.csv", "evaluation.json", "evaluation.csv",
                             "training_log.json", "training_log.csv"]

    /// Writes `trainer`'s crosscoder, curves, evaluation, log and `record` (the run's config) into `directory`.
    public static func write<Record: Encodable>(_ trainer: CrosscoderTrainer, steps: [Int], evaluation: CrosscoderEvaluation,
                                                record: Record, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let p = trainer.parameters
        var tensors: [String: TensorData] = [:]
        for t in CrosscoderTensor.allCases { tensors[t.rawValue] = TensorData(shape: p.shape(t), floats: p.tensor(t)) }
        tensors["input_scale"] = TensorData(shape: [p.snapshots], floats: trainer.inputScales)
        tensors["steps"] = TensorData(shape: [p.snapshots], int32s: steps.map { Int32($0) })
        let config = String(decoding: try JSONFile.encode(trainer.config), as: UTF8.self)
        try SafetensorsWriter.write(tensors, metadata: ["crosscoder_config": config, "format": "saetrack-crosscoder-1"],
                                    to: directory.appendingPathComponent(weightsFile))
        let curves = trainer.trajectories(steps: steps)
        try JSONFile.write(curves, to: directory.appendingPathComponent("trajectories.json"))
        try AtomicFile.write(curves.csv, to: directory.appendingPathComponent("trajectories.csv"))
        try JSONFile.write(evaluation, to: directory.appendingPathComponent("evaluation.json"))
        try AtomicFile.write(evaluation.csv, to: directory.appendingPathComponent("evaluation.csv"))
        try JSONFile.write(trainer.log, to: directory.appendingPathComponent("training_log.json"))
        try AtomicFile.write(([CrosscoderLogEntry.csvHeader(snapshots: p.snapshots)] + trainer.log.map(\.csvRow)).joined(separator: "\n") + "\n",
                             to: directory.appendingPathComponent("training_log.csv"))
        try JSONFile.write(record, to: directory.appendingPathComponent(configFile))
    }

    /// Reads the crosscoder that ``write(_:steps:evaluation:record:to:)`` saved in `directory`,
    /// refusing a missing or extra tensor, a shape that disagrees with the others, or a missing
    /// config, by name.
    public static func read(from directory: URL) throws -> SavedCrosscoder {
        let url = directory.appendingPathComponent(weightsFile)
        let file = try SafetensorsFile(contentsOf: url)
        func fail(_ reason: String) -> CrosscoderError { .unreadable(file: url.path, reason: reason) }
        let expected = Set(CrosscoderTensor.allCases.map(\.rawValue) + ["input_scale", "steps"])
        if let extra = file.tensorNames.first(where: { !expected.contains($0) }) { throw fail("unexpected tensor '\(extra)'") }
        for name in expected.sorted() where file.info(name) == nil { throw fail("no tensor '\(name)'") }
        let wEnc = file.info(CrosscoderTensor.wEnc.rawValue)!.shape
        guard wEnc.count == 3, wEnc.allSatisfy({ $0 > 0 }) else { throw fail("W_enc has shape \(wEnc); expected (S, d_in, d_sae)") }
        let (S, d, m) = (wEnc[0], wEnc[1], wEnc[2])
        let shapes: [String: [Int]] = ["b_enc": [m], "W_dec": [S, m, d], "b_dec": [S, d], "input_scale": [S], "steps": [S]]
        for (name, shape) in shapes.sorted(by: { $0.key < $1.key }) where file.info(name)!.shape != shape {
            throw fail("\(name) has shape \(file.info(name)!.shape); W_enc's (S \(S), d_in \(d), d_sae \(m)) needs \(shape)")
        }
        guard let json = file.metadata["crosscoder_config"] else { throw fail("no crosscoder_config in the metadata") }
        let config: CrosscoderTrainingConfig
        do { config = try JSONDecoder().decode(CrosscoderTrainingConfig.self, from: Data(json.utf8)) } catch {
            throw fail("crosscoder_config is not a training config: \(error)")
        }
        let p = CrosscoderParameters(snapshots: S, dIn: d, dSAE: m, wEnc: try file.floats("W_enc"), bEnc: try file.floats("b_enc"),
                                     wDec: try file.floats("W_dec"), bDec: try file.floats("b_dec"))
        return SavedCrosscoder(parameters: p, inputScales: try file.floats("input_scale"), steps: try file.int32s("steps").map(Int.init),
                               config: config)
    }
}

/// A crosscoder read back from its directory (``CrosscoderFiles/read(from:)``).
public struct SavedCrosscoder: Sendable {
    public var parameters: CrosscoderParameters
    /// The factor each snapshot's activations are multiplied by before encoding.
    public var inputScales: [Float]
    /// The training step of each snapshot.
    public var steps: [Int]
    public var config: CrosscoderTrainingConfig

    /// The shared code of one (N, d_in) matrix of unscaled activations per snapshot (``CrosscoderTrainer/codes(_:)``).
    public func codes(_ snapshots: [Matrix]) throws -> SparseRows {
        try CrosscoderTrainer.codes(parameters, snapshots, scales: inputScales, sparsity: config.sparsity, batchSize: config.batchSize)
    }
}
