import ArgumentParser
import Foundation
import SAETrack

extension TrainSAEOptions {
    /// Writes a finished run into `outURL`: the SAE directory (SAELens layout, the provenance in its
    /// metadata) and the fingerprint, then beside them evaluation.json and evaluation_full.json (with
    /// CE loss recovered when an LM is at hand), training_log.json / .csv, sparsity.safetensors and
    /// training_config.json (`config` and the source), and prints a summary line. Throws
    /// ``TrainingDivergedError`` when the held-out evaluation is not finite.
    public func writeOutputs(_ result: SAETrainingResult, config: SAETrainingConfig, data: TrainSAEData,
                             fingerprint current: RunFingerprint, to outURL: URL) throws {
        let (evalSet, d) = (data.evalSet, config.dSAE)
        var sourceInfo = data.sourceInfo
        // SAE directory first (it replaces the directory atomically), then evaluation and logs beside it.
        try result.sae.save(to: outURL, provenance: data.provenance)
        try current.write(to: outURL)           // the save replaced the directory: record the inputs again

        let evaluation = SAEEvaluation.evaluate(result.sae, on: evalSet)
        guard evaluation.explainedVariance.isFinite, evaluation.mse.isFinite else {
            throw TrainingDivergedError(run: "train-sae \(outURL.path)", step: result.steps,
                                        reason: "the held-out evaluation is not finite (MSE \(evaluation.mse))", keptState: nil)
        }
        var report: [String: Any] = [
            "tokens": evaluation.tokens, "l0": evaluation.l0, "mse": evaluation.mse, "sae_track_mse": evaluation.saeTrackMSE,
            "explained_variance": evaluation.explainedVariance, "legacy_explained_variance": evaluation.legacyExplainedVariance,
            "l2_ratio": evaluation.l2Ratio, "dead_fraction": evaluation.deadFraction, "dense_fraction": evaluation.denseFraction,
        ]
        if let lm = data.lm, let hookPoint = data.hookPoint, let t = data.evalTokenRows {
            let ce = CELossRecovered.measure(result.sae, model: lm, tokens: t.tokens, rows: t.rows, context: t.context,
                                             hook: hookPoint, centered: center)
            report["ce_loss_clean"] = ce.cleanLoss; report["ce_loss_with_sae"] = ce.reconstructionLoss
            report["ce_loss_zero_ablation"] = ce.zeroAblationLoss; report["ce_loss_score"] = ce.score
        }
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]),
                             to: outURL.appendingPathComponent("evaluation.json"))
        try JSONFile.write(evaluation, to: outURL.appendingPathComponent("evaluation_full.json"))
        try JSONFile.write(result.log, to: outURL.appendingPathComponent("training_log.json"))
        try AtomicFile.write(([SAETrainingLogEntry.csvHeader] + result.log.map(\.csvRow)).joined(separator: "\n") + "\n",
                             to: outURL.appendingPathComponent("training_log.csv"))
        try SafetensorsWriter.write(["sparsity": TensorData(shape: [d], floats: result.firingFrequency.map { Float(log10(Double($0) + 1e-10)) })],
                                    to: outURL.appendingPathComponent("sparsity.safetensors"))
        sourceInfo["warm_started_from"] = initial.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? ""
        sourceInfo["steps"] = String(result.steps)
        let training = try JSONSerialization.jsonObject(with: try JSONFile.encoder().encode(config))
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: ["config": training, "source": sourceInfo],
                                                        options: [.prettyPrinted, .sortedKeys]),
                             to: outURL.appendingPathComponent("training_config.json"))
        print(String(format: "SAE written to %@  (L0 %.1f, EV %.3f, dead %.1f%%)", outURL.path, evaluation.l0,
                     evaluation.explainedVariance, 100 * evaluation.deadFraction))
    }
}
