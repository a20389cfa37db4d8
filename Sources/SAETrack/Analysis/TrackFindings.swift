import Foundation

/// The headline findings of an analysis as short sentences: which planted features formed
/// when, how far decoders drifted, and how much faster warm starts converged. Printed by
/// `saetrack demo` and placed at the top of the report.
public enum TrackFindings {
    /// AUROC at or above which a planted feature counts as represented by some SAE feature.
    public static let formationThreshold = 0.85

    /// The findings, most important first.
    public static func sentences(for analysis: TrackAnalysis) -> [String] {
        var out: [String] = []
        let gt = analysis.groundTruth.filter { $0.auroc.contains { $0 != nil } }
        if !gt.isEmpty {
            let firstStep = analysis.meta.steps.first
            let early = gt.filter { $0.formedStep != nil && $0.formedStep == firstStep }
            let later = gt.filter { $0.formedStep != nil && $0.formedStep != firstStep }
            let never = gt.filter { $0.formedStep == nil }
            if !early.isEmpty {
                out.append("Present from initialisation (best-feature AUROC ≥ \(fmt(formationThreshold, 2)) from step \(firstStep ?? 0) on): "
                           + names(early) + ".")
            }
            if !later.isEmpty {
                let byStep = Dictionary(grouping: later) { $0.formedStep! }.sorted { $0.key < $1.key }
                out.append("Formed during training (AUROC reaches and stays ≥ \(fmt(formationThreshold, 2))): "
                           + byStep.map { "at step \($0.key): " + names($0.value) }.joined(separator: "; ") + ".")
            }
            if !never.isEmpty {
                let best = never.sorted { (($0.auroc.last ?? nil) ?? 0) > (($1.auroc.last ?? nil) ?? 0) }
                out.append("Not stably represented by the end: \(never.count) planted feature\(never.count == 1 ? "" : "s"), e.g. "
                           + best.prefix(3).map { "“\($0.name)” (final AUROC \(fmt(($0.auroc.last ?? nil) ?? .nan, 2)))" }.joined(separator: ", ") + ".")
            }
        }
        if let t = analysis.curriculum { out.append(curriculumSentence(t)) }
        let d = analysis.drift
        if d.toFinalQuantiles.count >= 2 {
            let medians = d.toFinalQuantiles.map { $0.count > 2 ? $0[2] : .nan }
            var s = "Drift: median decoder cosine to the final SAE rises \(fmt(medians.first!, 2))"
            if medians.count > 3 {
                let mid = medians.count / 2
                s += " → \(fmt(medians[mid], 2)) (step \(d.steps[mid]))"
            }
            s += " → \(fmt(medians[medians.count - 2], 2)) (step \(d.steps[medians.count - 2]))"
            let prev = d.toPreviousMedian.compactMap { $0 }
            if let lo = prev.min(), let hi = prev.max() {
                s += "; consecutive chained SAEs stay at median cosine \(fmt(lo, 2))–\(fmt(hi, 2))"
            }
            if let c = d.scratch, let med = c.matchedMedian {
                s += "; a from-scratch SAE at step \(c.step) shares the chain's features only up to matching: median one-to-one matched cosine \(fmt(med, 2)), "
                    + "MMCS \(fmt(c.mmcsChainToScratch ?? .nan, 2)) (chain → scratch), \(fmt((c.sharedFraction ?? .nan) * 100, 0)) % of live chain features matched at cosine ≥ \(fmt(c.threshold, 1))"
            }
            out.append(s + ".")
        }
        if let f = analysis.seedFloor { out.append(contentsOf: seedFloorSentences(f)) }
        if let h = analysis.headToHead { out.append(headToHeadSentence(h)) }
        if analysis.convergence.count > 3 {
            out.append(convergenceSummary(analysis.convergence))
        } else {
            for c in analysis.convergence { out.append(convergenceSentence(c)) }
        }
        let m = analysis.meta
        if m.steps.count > 1, m.firstStageSteps > 0 {
            let chain = m.firstStageSteps + (m.steps.count - 1) * m.continualStageSteps
            let independent = m.steps.count * m.firstStageSteps
            out.append("Compute: the chain of \(m.steps.count) SAEs took \(chain) SAE steps; \(m.steps.count) independent SAEs at the first stage's budget would take \(independent) (\(fmt(Double(independent) / Double(chain), 1))× more).")
        }
        if let first = analysis.summary.first, let last = analysis.summary.last {
            var s = "SAE quality: EV \(fmt(first.explainedVariance, 3)) → \(fmt(last.explainedVariance, 3)), L0 \(fmt(first.l0, 1)) → \(fmt(last.l0, 1)), dead fraction \(fmt(first.deadFraction, 2)) → \(fmt(last.deadFraction, 2))"
            if let a = first.lmLoss, let b = last.lmLoss { s += "; LM loss \(fmt(a, 2)) → \(fmt(b, 2))" }
            out.append(s + ".")
        }
        return out
    }

    /// The curriculum comparison in one sentence: median |ε| overall, for onsets and dissolutions, and per event.
    public static func curriculumSentence(_ t: TrackAnalysis.CurriculumTiming) -> String {
        func med(_ i: Double?, _ s: Double?) -> String {
            i.map { "\(fmt($0, 1)) checkpoint interval\($0 == 1 ? "" : "s") (\(fmt(s ?? .nan, 0)) steps)" } ?? "–"
        }
        let detected = t.events.count - t.undetected
        var s = "Curriculum timing: median |detected − scheduled| \(med(t.medianAbsErrorIntervals, t.medianAbsErrorSteps)) over \(detected) of \(t.events.count) scheduled events"
        s += "; onsets \(med(t.onsetMedianAbsErrorIntervals, t.onsetMedianAbsErrorSteps))"
        if t.events.contains(where: { $0.event == .dissolution }) {
            s += ", dissolutions \(med(t.dissolutionMedianAbsErrorIntervals, t.dissolutionMedianAbsErrorSteps))"
        }
        let each = t.events.map { e in
            "“\(e.feature)” \(e.event.rawValue) scheduled \(e.scheduledStep), "
                + (e.detectedStep.map { "detected \($0) (ε \(e.errorIntervals.map { $0 > 0 ? "+\($0)" : String($0) } ?? "–"))" } ?? "not detected")
        }
        return s + " (" + each.joined(separator: "; ") + ")."
    }

    /// The seed-noise floor: per baseline step the pairwise MCC among seeds and the chain's MCC
    /// to them, then how many chain intervals drift more than the seeds differ.
    public static func seedFloorSentences(_ f: TrackAnalysis.SeedNoiseFloor) -> [String] {
        var out = f.checkpoints.map { c in
            "Seed floor at step \(c.step): \(c.seeds) from-scratch SAEs with different seeds agree to dictionary MCC \(fmt(c.floorMean ?? .nan, 3)) "
                + "(pairwise, min \(fmt(c.floorMin ?? .nan, 3)), max \(fmt(c.floorMax ?? .nan, 3))); the chain SAE's MCC to them is "
                + "\(fmt(c.chainVsScratchMean ?? .nan, 3)) (mean over seeds: "
                + c.chainVsScratch.map { fmt($0 ?? .nan, 3) }.joined(separator: ", ") + "; live features: chain \(c.liveChain), seeds "
                + c.liveScratch.map(String.init).joined(separator: ", ") + ")."
        }
        let judged = f.intervals.filter { $0.exceedsFloor != nil }
        if !judged.isEmpty {
            let over = f.exceedingIntervals
            var s = "Drift against seed noise: \(over.count) of \(judged.count) chain intervals change the dictionary more than re-seeding does "
                + "(1 − MCC of consecutive chain SAEs above 1 − floor mean)"
            if !over.isEmpty {
                s += ": " + over.prefix(4).map { "\($0.fromStep)→\($0.toStep) (MCC \(fmt($0.mcc ?? .nan, 3)))" }.joined(separator: ", ")
                    + (over.count > 4 ? " and \(over.count - 4) more" : "")
            }
            let mccs = judged.compactMap(\.mcc)
            if let lo = mccs.min(), let hi = mccs.max() { s += "; consecutive MCC ranges \(fmt(lo, 3))–\(fmt(hi, 3))" }
            out.append(s + ".")
        }
        return out
    }

    /// Up to five quoted names with their kind, then "+N more".
    static func names(_ curves: [TrackAnalysis.GroundTruthCurve]) -> String {
        let shown = curves.prefix(5).map { "“\($0.name)” [\($0.kind)]" }.joined(separator: ", ")
        return curves.count > 5 ? shown + " and \(curves.count - 5) more" : shown
    }

    /// `v` with `digits` decimals ("–" for non-finite).
    public static func fmt(_ v: Double, _ digits: Int) -> String {
        v.isFinite ? String(format: "%.\(digits)f", v) : "–"
    }

    /// One sentence per method of the head-to-head: mean F1 and best AUROC, onset error, cost.
    static func headToHeadSentence(_ h: TrackAnalysis.HeadToHead) -> String {
        let parts = h.methods.map { m -> String in
            let f1 = TrackAnalysis.HeadToHead.mean(m.recovery.map(\.f1)), auroc = TrackAnalysis.HeadToHead.mean(m.recovery.map(\.meanBestAUROC))
            var s = "\(m.kind.rawValue) F1 \(f1.map { fmt($0, 2) } ?? "–"), best AUROC \(auroc.map { fmt($0, 2) } ?? "–")"
            if let t = m.curriculum {
                s += ", onset |ε| median \(t.medianAbsErrorIntervals.map { fmt($0, 1) } ?? "–") (\(t.events.count - t.undetected) of \(t.events.count) events detected)"
            }
            s += ", \(m.cost.optimizerSteps) optimizer steps"
            if let cpu = m.cost.cpuSeconds { s += ", \(fmt(cpu, 1)) CPU s" }
            if let b = m.cost.activationBytesHeld { s += ", \(CostEstimate.compact(Double(b)))B of activations held" }
            return s
        }
        return "Head-to-head on steps \(h.steps.map(String.init).joined(separator: ", ")) (means over them): " + parts.joined(separator: "; ") + "."
    }

    /// One comparison of a warm-started stage with the from-scratch SAE at its checkpoint.
    static func convergenceSentence(_ c: TrackAnalysis.ConvergenceComparison) -> String {
        var s = "Convergence at step \(c.checkpointStep): the warm-started stage reached held-out EV \(fmt(c.chainFinalEV, 3)) in \(c.chain.steps.last ?? 0) steps; "
        s += "from scratch reached \(fmt(c.scratchFinalEV, 3)) in \(c.scratch.steps.last ?? 0) steps"
        if let m = c.scratchStepsToMatchChain, let chainSteps = c.chain.steps.last, chainSteps > 0 {
            s += " and needed \(m) steps to match the chain (\(fmt(Double(m) / Double(chainSteps), 1))× the stage budget)"
        } else {
            s += " and never matched the chain"
        }
        return s + "."
    }

    /// Many comparisons (independent SAEs at many checkpoints) in one sentence: the range of the
    /// from-scratch steps needed to match each warm-started stage, and where it never did.
    static func convergenceSummary(_ all: [TrackAnalysis.ConvergenceComparison]) -> String {
        let ratios = all.compactMap { c -> (Int, Double)? in
            guard let m = c.scratchStepsToMatchChain, let n = c.chain.steps.last, n > 0 else { return nil }
            return (c.checkpointStep, Double(m) / Double(n))
        }
        let never = all.filter { $0.scratchStepsToMatchChain == nil }.map { String($0.checkpointStep) }
        var s = "Convergence at \(all.count) checkpoints: "
        if let lo = ratios.min(by: { $0.1 < $1.1 }), let hi = ratios.max(by: { $0.1 < $1.1 }) {
            s += "from scratch needed \(fmt(lo.1, 1))× (step \(lo.0)) to \(fmt(hi.1, 1))× (step \(hi.0)) the warm-started stage's budget to match its held-out EV"
        } else {
            s += "from scratch never matched the warm-started stage's held-out EV"
        }
        if !never.isEmpty && !ratios.isEmpty { s += ", and never matched it at step\(never.count == 1 ? "" : "s") " + never.joined(separator: ", ") }
        return s + " (per checkpoint: the Convergence section of the report)."
    }
}
