import Foundation
import SAETrackIO

/// Writes an analysis to disk: `analysis.json` (every figure's data), one CSV per figure and the
/// self-contained `report.html`, all atomically.
public enum AnalysisExport {
    /// The files written, relative to the output directory.
    public static let csvFiles = ["summary.csv", "progress.csv", "random_baseline.csv", "drift_quantiles.csv", "drift_features.csv",
                                  "cosine_histograms.csv", "trajectories.csv", "convergence.csv", "ground_truth.csv"]

    /// Writes everything into `directory`; returns the report's URL.
    @discardableResult
    public static func write(_ a: TrackAnalysis, to directory: URL) throws -> URL {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        try AtomicFile.write(try enc.encode(a), to: directory.appendingPathComponent("analysis.json"))
        for (name, text) in csv(a) { try AtomicFile.write(text, to: directory.appendingPathComponent(name)) }
        let report = directory.appendingPathComponent("report.html")
        try AtomicFile.write(TrackReport.html(a), to: report)
        return report
    }

    private static func v(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "" }
        return String(format: "%.6g", x)
    }

    private static func q(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// The CSV texts by file name.
    public static func csv(_ a: TrackAnalysis) -> [(String, String)] {
        var out: [(String, String)] = []
        var s = "step,lm_loss,sae_loss,mse,l0,explained_variance,dead_fraction,ce_recovered,cos_to_previous_median,cos_to_final_median,sae_steps\n"
        for r in a.summary {
            s += "\(r.step),\(v(r.lmLoss)),\(v(r.saeLoss)),\(v(r.mse)),\(v(r.l0)),\(v(r.explainedVariance)),\(v(r.deadFraction)),\(v(r.ceRecovered)),\(v(r.cosToPreviousMedian)),\(v(r.cosToFinalMedian)),\(r.saeTrainingSteps)\n"
        }
        out.append(("summary.csv", s))
        s = "measure,feature,label,step,value,onset_step,settle_step\n"
        for p in a.progress {
            for f in p.features {
                for (i, step) in p.steps.enumerated() where i < f.values.count {
                    s += "\(p.measure),\(f.feature),\(q(f.label)),\(step),\(v(f.values[i])),\(f.onsetStep.map(String.init) ?? ""),\(f.settleStep.map(String.init) ?? "")\n"
                }
            }
        }
        out.append(("progress.csv", s))
        s = "measure,step,value\n"
        for r in a.randomBaseline { for (i, step) in r.steps.enumerated() { s += "\(q(r.measure)),\(step),\(v(r.values[i]))\n" } }
        out.append(("random_baseline.csv", s))
        s = "step,q10,q25,median,q75,q90,to_previous_median\n"
        for (i, step) in a.drift.steps.enumerated() {
            let qs = i < a.drift.toFinalQuantiles.count ? a.drift.toFinalQuantiles[i] : []
            let cells = (0..<5).map { $0 < qs.count ? v(qs[$0]) : "" }.joined(separator: ",")
            s += "\(step),\(cells),\(v(i < a.drift.toPreviousMedian.count ? a.drift.toPreviousMedian[i] : nil))\n"
        }
        out.append(("drift_quantiles.csv", s))
        s = "feature,step,cos_to_final\n"
        for f in a.drift.features { for (i, step) in a.drift.steps.enumerated() where i < f.values.count { s += "\(f.feature),\(step),\(v(f.values[i]))\n" } }
        out.append(("drift_features.csv", s))
        s = "step,final_step,bin_lower,bin_upper,count\n"
        for h in a.cosineHistograms {
            for (b, c) in h.counts.enumerated() { s += "\(h.step),\(h.finalStep),\(v(h.edges[b])),\(v(h.edges[b + 1])),\(Int(c))\n" }
        }
        out.append(("cosine_histograms.csv", s))
        s = "feature,step,pc1,pc2\n"
        for t in a.trajectories { for (i, step) in t.steps.enumerated() { s += "\(t.feature),\(step),\(v(t.pc1[i])),\(v(t.pc2[i]))\n" } }
        out.append(("trajectories.csv", s))
        s = "checkpoint_step,run,sae_step,loss,mse,l0,explained_variance\n"
        for c in a.convergence {
            for curve in [c.chain, c.scratch] {
                for (i, st) in curve.steps.enumerated() {
                    s += "\(c.checkpointStep),\(q(curve.run)),\(st),\(v(curve.loss[i])),\(v(curve.mse[i])),\(v(curve.l0[i])),\(v(curve.explainedVariance[i]))\n"
                }
            }
        }
        out.append(("convergence.csv", s))
        s = "label,kind,step,auroc,best_feature,formed_step\n"
        for g in a.groundTruth {
            for (i, step) in g.steps.enumerated() {
                s += "\(q(g.name)),\(g.kind),\(step),\(v(g.auroc[i])),\(g.bestFeature[i].map(String.init) ?? ""),\(g.formedStep.map(String.init) ?? "")\n"
            }
        }
        out.append(("ground_truth.csv", s))
        return out
    }
}
