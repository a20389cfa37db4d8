import Foundation
import SAETrackIO

/// Writes an analysis to disk: `analysis.json` (every figure's data), one CSV per figure, the
/// self-contained `report.html`, and `features.csv` when every feature was collected; all atomically.
///
/// One naming scheme everywhere: JSON keys are the snake_case forms of the Swift property names,
/// and a CSV column carrying the same quantity has the same name. Every file and column is
/// described in Docs/Formats.md ("Analysis outputs").
public enum AnalysisExport {
    /// The CSV files always written, relative to the output directory.
    public static let csvFiles = ["summary.csv", "progress.csv", "progress_population.csv", "random_baseline.csv", "drift_quantiles.csv",
                                  "drift_features.csv", "chain_vs_scratch.csv", "cosine_histograms.csv", "trajectories.csv",
                                  "convergence.csv", "ground_truth.csv", "feature_cards.csv", "life_history.csv",
                                  "dissolutions.csv", "curriculum.csv", "seed_floor.csv", "seed_floor_pairs.csv", "seed_floor_intervals.csv",
                                  "head_to_head.csv", "head_to_head_cost.csv"]

    /// The encoder of `analysis.json`: snake_case keys, sorted, non-finite numbers as strings.
    public static var jsonEncoder: JSONEncoder { JSONFile.encoder(keys: .snakeCase, nonFinite: .strings) }

    /// The matching decoder (reads `analysis.json` back).
    public static var jsonDecoder: JSONDecoder { JSONFile.decoder(keys: .snakeCase, nonFinite: .strings) }

    /// Writes everything into `directory`; returns the report's URL.
    @discardableResult
    public static func write(_ a: TrackAnalysis, to directory: URL) throws -> URL {
        try AtomicFile.write(try jsonEncoder.encode(a), to: directory.appendingPathComponent("analysis.json"))
        for (name, text) in csv(a) { try AtomicFile.write(text, to: directory.appendingPathComponent(name)) }
        if let all = a.allFeatures {
            let text = featuresCSV(all)
            try AtomicFile.write(a.isPartial ? markedPartial(text) : text, to: directory.appendingPathComponent("features.csv"))
        }
        let report = directory.appendingPathComponent("report.html")
        try AtomicFile.write(TrackReport.html(a), to: report)
        return report
    }

    private static func v(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "" }
        return String(format: "%.6g", x)
    }

    private static func i(_ x: Int?) -> String { x.map(String.init) ?? "" }

    private static func q(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// `features.csv`: one row per feature that fires at some checkpoint, per checkpoint.
    public static func featuresCSV(_ all: TrackAnalysis.AllFeatures) -> String {
        var s = "feature,step,alive,density,max_activation,cos_to_final,cos_to_previous\n"
        let width = all.density.first?.count ?? 0
        for f in 0..<width where all.density.contains(where: { $0[f] > 0 }) {
            for (c, step) in all.steps.enumerated() {
                let toFinal = f < all.cosToFinal[c].count ? all.cosToFinal[c][f] : nil
                let toPrev = f < all.cosToPrevious[c].count ? all.cosToPrevious[c][f] : nil
                s += "\(f),\(step),\(all.density[c][f] > 0 ? 1 : 0),\(v(all.density[c][f])),\(v(all.maxActivation[c][f])),\(v(toFinal)),\(v(toPrev))\n"
            }
        }
        return s
    }

    /// `text` (a CSV with a header line) with a last column `partial` = `true` on every row:
    /// how a partial analysis marks each table, so a filtered or concatenated frame still says so
    /// (`pandas.read_csv(f)["partial"]`; the header carries the column even when there are no rows).
    public static func markedPartial(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { return text }
        return lines.enumerated().map { $0.offset == 0 ? $0.element + ",partial" : $0.element + ",true" }.joined(separator: "\n") + "\n"
    }

    /// The CSV texts by file name (each marked with a `partial` column when the analysis is partial).
    public static func csv(_ a: TrackAnalysis) -> [(String, String)] {
        let tables = unmarkedCSV(a)
        return a.isPartial ? tables.map { ($0.0, markedPartial($0.1)) } : tables
    }

    private static func unmarkedCSV(_ a: TrackAnalysis) -> [(String, String)] {
        var out: [(String, String)] = []
        var s = "step,lm_loss,reconstructed_loss,zero_ablated_loss,ce_recovered,sae_loss,mse,l0,explained_variance,dead_fraction,cos_to_previous_median,cos_to_final_median,sae_training_steps\n"
        for r in a.summary {
            s += "\(r.step),\(v(r.lmLoss)),\(v(r.reconstructedLoss)),\(v(r.zeroAblatedLoss)),\(v(r.ceRecovered)),\(v(r.saeLoss)),\(v(r.mse)),\(v(r.l0)),\(v(r.explainedVariance)),\(v(r.deadFraction)),\(v(r.cosToPreviousMedian)),\(v(r.cosToFinalMedian)),\(r.saeTrainingSteps)\n"
        }
        out.append(("summary.csv", s))
        s = "measure,feature,label,step,value,onset_step,settle_step\n"
        for p in a.progress {
            for f in p.features {
                for (k, step) in p.steps.enumerated() where k < f.values.count {
                    s += "\(p.measure),\(f.feature),\(q(f.label)),\(step),\(v(f.values[k])),\(i(f.onsetStep)),\(i(f.settleStep))\n"
                }
            }
        }
        out.append(("progress.csv", s))
        s = "measure,step,features,q10,q25,median,q75,q90\n"
        for p in a.progress {
            guard let b = p.population else { continue }
            for (k, step) in p.steps.enumerated() where k < b.median.count {
                s += "\(p.measure),\(step),\(b.features),\(v(b.q10[k])),\(v(b.q25[k])),\(v(b.median[k])),\(v(b.q75[k])),\(v(b.q90[k]))\n"
            }
        }
        out.append(("progress_population.csv", s))
        s = "measure,step,value\n"
        for r in a.randomBaseline { for (k, step) in r.steps.enumerated() { s += "\(r.measure),\(step),\(v(r.values[k]))\n" } }
        out.append(("random_baseline.csv", s))
        s = "step,cos_to_final_q10,cos_to_final_q25,cos_to_final_median,cos_to_final_q75,cos_to_final_q90,cos_to_previous_median\n"
        for (k, step) in a.drift.steps.enumerated() {
            let qs = k < a.drift.toFinalQuantiles.count ? a.drift.toFinalQuantiles[k] : []
            let cells = (0..<5).map { $0 < qs.count ? v(qs[$0]) : "" }.joined(separator: ",")
            s += "\(step),\(cells),\(v(k < a.drift.toPreviousMedian.count ? a.drift.toPreviousMedian[k] : nil))\n"
        }
        out.append(("drift_quantiles.csv", s))
        s = "feature,step,cos_to_final\n"
        for f in a.drift.features { for (k, step) in a.drift.steps.enumerated() where k < f.values.count { s += "\(f.feature),\(step),\(v(f.values[k]))\n" } }
        out.append(("drift_features.csv", s))
        s = "step,method,live_chain,live_scratch,matched,matched_cosine_q10,matched_cosine_q25,matched_cosine_median,matched_cosine_q75,matched_cosine_q90,matched_cosine_mean,mmcs_chain_to_scratch,mmcs_scratch_to_chain,shared_fraction,threshold\n"
        if let c = a.drift.scratch {
            let qs = (0..<5).map { $0 < c.matchedCosineQuantiles.count ? v(c.matchedCosineQuantiles[$0]) : "" }.joined(separator: ",")
            s += "\(c.step),\(c.method),\(c.liveChain),\(c.liveScratch),\(c.matched),\(qs),\(v(c.matchedCosineMean)),\(v(c.mmcsChainToScratch)),\(v(c.mmcsScratchToChain)),\(v(c.sharedFraction)),\(v(c.threshold))\n"
        }
        out.append(("chain_vs_scratch.csv", s))
        s = "step,final_step,bin_lower,bin_upper,count\n"
        for h in a.cosineHistograms {
            for (b, c) in h.counts.enumerated() { s += "\(h.step),\(h.finalStep),\(v(h.edges[b])),\(v(h.edges[b + 1])),\(Int(c))\n" }
        }
        out.append(("cosine_histograms.csv", s))
        s = "feature,step,pc1,pc2\n"
        for t in a.trajectories { for (k, step) in t.steps.enumerated() { s += "\(t.feature),\(step),\(v(t.pc1[k])),\(v(t.pc2[k]))\n" } }
        out.append(("trajectories.csv", s))
        s = "checkpoint_step,run,sae_step,loss,mse,l0,explained_variance\n"
        for c in a.convergence {
            for curve in [c.chain, c.scratch] {
                for (k, st) in curve.steps.enumerated() {
                    s += "\(c.checkpointStep),\(q(curve.run)),\(st),\(v(curve.loss[k])),\(v(curve.mse[k])),\(v(curve.l0[k])),\(v(curve.explainedVariance[k]))\n"
                }
            }
        }
        out.append(("convergence.csv", s))
        s = "name,kind,step,auroc,best_feature,formed_step\n"
        for g in a.groundTruth {
            for (k, step) in g.steps.enumerated() {
                s += "\(q(g.name)),\(g.kind),\(step),\(v(g.auroc[k])),\(i(g.bestFeature[k])),\(i(g.formedStep))\n"
            }
        }
        out.append(("ground_truth.csv", s))
        s = "feature,step,label,label_source,auroc,density,max_activation\n"
        for c in a.featureCards {
            let snaps = Dictionary(c.snapshots.map { ($0.step, $0) }, uniquingKeysWith: { x, _ in x })
            for l in c.labels {
                s += "\(c.feature),\(l.step),\(q(l.text)),\(l.source),\(v(l.auroc)),\(v(snaps[l.step]?.density)),\(v(snaps[l.step]?.maxActivation))\n"
            }
        }
        out.append(("feature_cards.csv", s))
        s = "step,live,from_step,births,deaths,detectors_before,dissolutions\n"
        if let h = a.lifeHistory {
            for (k, step) in h.steps.enumerated() {
                let iv = k > 0 && k - 1 < h.intervals.count ? h.intervals[k - 1] : nil
                s += "\(step),\(h.live[k]),\(i(iv?.fromStep)),\(i(iv?.births)),\(i(iv?.deaths)),\(i(iv?.detectorsBefore)),\(i(iv?.dissolutionCount))\n"
            }
        }
        out.append(("life_history.csv", s))
        s = "from_step,to_step,feature,label,auroc_before,auroc_after,alive_after,label_best_feature_after,label_best_auroc_after,now_label,top_tokens\n"
        for iv in a.lifeHistory?.intervals ?? [] {
            for d in iv.dissolutions {
                let top = d.top.map { $0.position < $0.tokens.count ? $0.tokens[$0.position] : "" }.joined(separator: "|")
                s += "\(iv.fromStep),\(iv.toStep),\(d.feature),\(q(d.label)),\(v(d.aurocBefore)),\(v(d.aurocAfter)),\(d.aliveAfter),\(i(d.labelBestFeatureAfter)),\(v(d.labelBestAurocAfter)),\(q(d.nowLabel)),\(q(top))\n"
            }
        }
        out.append(("dissolutions.csv", s))
        s = "feature,event,scheduled_step,expected_step,detected_step,error_intervals,error_steps\n"
        for e in a.curriculum?.events ?? [] {
            s += "\(q(e.feature)),\(e.event.rawValue),\(e.scheduledStep),\(i(e.expectedStep)),\(i(e.detectedStep)),\(i(e.errorIntervals)),\(i(e.errorSteps))\n"
        }
        out.append(("curriculum.csv", s))
        s = "step,seeds,method,live_chain,floor_mean,floor_min,floor_max,chain_vs_scratch_mean\n"
        for c in a.seedFloor?.checkpoints ?? [] {
            s += "\(c.step),\(c.seeds),\(c.method),\(c.liveChain),\(v(c.floorMean)),\(v(c.floorMin)),\(v(c.floorMax)),\(v(c.chainVsScratchMean))\n"
        }
        out.append(("seed_floor.csv", s))
        s = "step,first,second,live_first,live_second,mcc\n"
        for c in a.seedFloor?.checkpoints ?? [] {
            func live(_ seed: Int) -> String { seed < c.liveScratch.count ? String(c.liveScratch[seed]) : "" }
            for p in c.pairs { s += "\(c.step),seed\(p.seedA),seed\(p.seedB),\(live(p.seedA)),\(live(p.seedB)),\(v(p.mcc))\n" }
            for (k, m) in c.chainVsScratch.enumerated() { s += "\(c.step),chain,seed\(k),\(c.liveChain),\(live(k)),\(v(m))\n" }
        }
        out.append(("seed_floor_pairs.csv", s))
        s = "from_step,to_step,mcc,index_aligned_cosine_mean,floor_step,floor_mean,exceeds_floor\n"
        for iv in a.seedFloor?.intervals ?? [] {
            s += "\(iv.fromStep),\(iv.toStep),\(v(iv.mcc)),\(v(iv.indexAlignedCosineMean)),\(iv.floorStep),\(v(iv.floorMean)),\(iv.exceedsFloor.map(String.init) ?? "")\n"
        }
        out.append(("seed_floor_intervals.csv", s))
        s = "method,step,labels,candidates,recovered,detectors,mean_best_auroc,precision,recall,f1,uniqueness\n"
        for m in a.headToHead?.methods ?? [] {
            for (step, r) in zip(a.headToHead!.steps, m.recovery) {
                s += "\(m.kind.rawValue),\(step),\(r.labels.count),\(r.candidates),\(r.recovered),\(r.detectors),\(v(r.meanBestAUROC)),\(v(r.precision)),\(v(r.recall)),\(v(r.f1)),\(v(r.uniqueness))\n"
            }
        }
        out.append(("head_to_head.csv", s))
        s = "method,runs,optimizer_steps,activation_vectors,cpu_seconds,wall_seconds,activation_bytes_held,onset_median_abs_error_intervals,events,undetected\n"
        for m in a.headToHead?.methods ?? [] {
            let c = m.cost
            s += "\(m.kind.rawValue),\(c.runs),\(c.optimizerSteps),\(c.activationVectors),\(v(c.cpuSeconds)),\(v(c.wallSeconds)),\(i(c.activationBytesHeld)),\(v(m.curriculum?.medianAbsErrorIntervals)),\(m.curriculum?.events.count ?? 0),\(m.curriculum?.undetected ?? 0)\n"
        }
        out.append(("head_to_head_cost.csv", s))
        return out
    }
}
