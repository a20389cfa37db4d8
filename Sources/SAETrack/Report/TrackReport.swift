import Foundation

/// Renders a `TrackAnalysis` as the self-contained `report.html`: findings, the per-checkpoint
/// table, formation (progress measures, random baseline, ground truth), drift (quantiles,
/// per-feature curves, histograms, PCA trajectories), convergence, and feature cards.
public enum TrackReport {
    /// The report page for `analysis`.
    public static func html(_ analysis: TrackAnalysis) -> String {
        let m = analysis.meta
        var doc = HTMLDocument(
            title: m.title,
            subtitle: "\(m.model) · hook \(m.hook)\(m.centered ? " (centred)" : "") · d_in \(m.dIn) · d_sae \(m.dSAE) · \(m.steps.count) checkpoints (\(m.order) chain) · SAE-Track, arXiv 2412.17626")
        for w in analysis.warnings {
            doc.raw("<p class=\"warn\">⚠ \(SVGCanvas.escape(w))</p>")
        }
        doc.section("Findings", id: "findings")
        doc.raw("<div class=\"finding\"><ul>" + TrackFindings.sentences(for: analysis)
            .map { "<li>\(SVGCanvas.escape($0))</li>" }.joined() + "</ul></div>")
        summaryTable(analysis, into: &doc)
        formation(analysis, into: &doc)
        groundTruth(analysis, into: &doc)
        drift(analysis, into: &doc)
        convergence(analysis, into: &doc)
        cards(analysis, into: &doc)
        settings(analysis, into: &doc)
        return doc.render()
    }

    private static func x(_ steps: [Int]) -> [Double] { steps.map { Double($0) } }
    private static let stepAxis = "Training step (log scale; 0 shown)"

    private static func summaryTable(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard !a.summary.isEmpty else { return }
        doc.section("Per-checkpoint summary", id: "summary",
                    intro: "Each row is one SAE of the chain, evaluated on held-out tokens of that checkpoint. CE recovered = (L_zero − L_recon)/(L_zero − L_clean) with the hook's activations replaced by the SAE reconstruction. Cosines are medians over features alive in both SAEs.")
        let f = TrackFindings.fmt
        let rows = a.summary.map { s -> [String] in
            [String(s.step), s.lmLoss.map { f($0, 3) } ?? "–", f(s.saeLoss, 4), f(s.mse, 4), f(s.l0, 1),
             f(s.explainedVariance, 3), f(s.deadFraction, 3), s.ceRecovered.map { f($0, 3) } ?? "–",
             s.cosToPreviousMedian.map { f($0, 3) } ?? "–", f(s.cosToFinalMedian, 3), String(s.saeTrainingSteps)]
        }
        doc.table(header: ["step", "LM loss", "SAE loss", "MSE", "L0", "EV", "dead frac.", "CE recovered",
                           "cos to prev.", "cos to final", "SAE steps"], rows: rows)
        let steps = a.summary.map(\.step)
        var charts: [(String, String)] = []
        let lm = a.summary.compactMap(\.lmLoss)
        if lm.count == a.summary.count {
            charts.append((LineChart(title: "Language-model loss", xLabel: stepAxis, yLabel: "next-token CE (nats)", xScale: .stepLog,
                                     series: [LineSeries(name: "LM loss", x: x(steps), y: lm, markers: true)],
                                     width: 360, height: 260).svg(id: "lmloss"), "LM held-out loss at each checkpoint."))
        }
        // CE recovered can exceed 1 (the reconstruction beats the clean model) or go below 0 early in
        // training; widen the unit range so no point is drawn outside the axes.
        let quality = a.summary.flatMap { [$0.explainedVariance, $0.deadFraction, $0.ceRecovered ?? 0] }.filter(\.isFinite)
        let qualityDomain = min(0, (quality.min() ?? 0).rounded(.down))...max(1, ((quality.max() ?? 1) * 4).rounded(.up) / 4)
        charts.append((LineChart(title: "SAE quality", xLabel: stepAxis, yLabel: "value", xScale: .stepLog, yDomain: qualityDomain,
                                 series: [LineSeries(name: "EV", x: x(steps), y: a.summary.map(\.explainedVariance), markers: true),
                                          LineSeries(name: "dead fraction", x: x(steps), y: a.summary.map(\.deadFraction), markers: true)]
                                    + (a.summary.allSatisfy { $0.ceRecovered != nil }
                                       ? [LineSeries(name: "CE recovered", x: x(steps), y: a.summary.map { $0.ceRecovered! }, markers: true)] : []),
                                 width: 470, height: 260).svg(id: "saequal"),
                       "Explained variance, dead-feature fraction and CE recovered of each chained SAE."))
        charts.append((LineChart(title: "Sparsity", xLabel: stepAxis, yLabel: "L0 (active features / token)", xScale: .stepLog,
                                 series: [LineSeries(name: "L0", x: x(steps), y: a.summary.map(\.l0), color: Palette.color(4), markers: true)],
                                 width: 360, height: 260).svg(id: "l0"), "Mean number of active SAE features per token."))
        doc.figures(charts.map { (svg: $0.0, caption: $0.1) })
    }

    private static func formation(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard !a.progress.isEmpty else { return }
        doc.section("Feature formation: progress measures", id: "formation",
                    intro: "For each tracked feature, its top-25 activating tokens under the final SAE and model are fixed; at every checkpoint the mean pairwise similarity of their representations minus that of random tokens is plotted (method.md §7). Curves rising from 0 to a plateau show the feature forming; dots mark the automatically found onset (leaves baseline) and settling points.")
        var figs: [(svg: String, caption: String)] = []
        for (i, p) in a.progress.enumerated() {
            let series = p.features.map { LineSeries(name: "#\($0.feature) \($0.label)", x: x(p.steps), y: $0.values.map { $0 ?? .nan }) }
            let chart = LineChart(title: p.title, xLabel: stepAxis, yLabel: "Progress measure", xScale: .stepLog,
                                  yDomain: -0.2...1, series: series,
                                  references: [ReferenceLine(.horizontal, at: 0, label: "Baseline (random sampled)")],
                                  width: 600, height: 330)
            figs.append((chart.svg(id: "prog\(i)"), "\(p.title): P(f, c) = S({representations at c}) − R(c)."))
        }
        doc.figures(figs)
        if !a.randomBaseline.isEmpty {
            let series = a.randomBaseline.map { LineSeries(name: $0.measure, x: x($0.steps), y: $0.values.map { $0 ?? .nan }, markers: true) }
            let chart = LineChart(title: "Random-token similarity R(c)", xLabel: stepAxis, yLabel: "mean pairwise similarity",
                                  xScale: .stepLog, yDomain: -0.2...1, series: series, width: 600, height: 300)
            doc.figures([(chart.svg(id: "random"), "Similarity among random tokens at each checkpoint (the subtracted baseline; method.md §7.5): how anisotropic the representation space is over training.")])
        }
        // Phase table: one row per feature, "onset → settled (final P)" per measure.
        if let first = a.progress.first, !first.features.isEmpty {
            let rows = first.features.indices.map { fi -> [String] in
                var row = ["#\(first.features[fi].feature)", first.features[fi].label]
                for p in a.progress where fi < p.features.count {
                    let fc = p.features[fi]
                    row.append("\(fc.onsetStep.map(String.init) ?? "–") → \(fc.settleStep.map(String.init) ?? "–")  (\(TrackFindings.fmt((fc.values.last ?? nil) ?? .nan, 2)))")
                }
                return row
            }
            doc.table(header: ["feature", "label"] + a.progress.map(\.title), rows: rows,
                      caption: "Phases found automatically per measure: onset step → settled step (final value). Flat before the onset, emergent between, convergent after; – : none (e.g. present from the start).")
        }
    }

    private static func groundTruth(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard !a.groundTruth.isEmpty else { return }
        doc.section("Ground truth: planted features", id: "groundtruth",
                    intro: "The synthetic corpus plants features with known per-token labels. For each, the best single SAE feature's AUROC at every checkpoint (the SAE of that checkpoint, its own best feature). A planted feature counts as formed from the first step after which AUROC stays ≥ \(TrackFindings.fmt(TrackFindings.formationThreshold, 2)).")
        // One panel per kind of planted feature, so each legend stays readable.
        let kinds = ["token", "concept", "structural"].filter { k in a.groundTruth.contains { $0.kind == k } }
            + Set(a.groundTruth.map(\.kind)).subtracting(["token", "concept", "structural"]).sorted()
        var figs: [(svg: String, caption: String)] = []
        for (ki, kind) in kinds.enumerated() {
            let curves = a.groundTruth.filter { $0.kind == kind }
            let series = curves.map { g in LineSeries(name: g.name, x: x(g.steps), y: g.auroc.map { $0 ?? .nan }, markers: true) }
            let chart = LineChart(title: "\(kind.capitalized)-level planted features", xLabel: stepAxis, yLabel: "best-feature AUROC",
                                  xScale: .stepLog, yDomain: 0.4...1.0, series: series,
                                  references: [ReferenceLine(.horizontal, at: TrackFindings.formationThreshold, label: "formation threshold", color: "#999")],
                                  width: 600, height: 340)
            figs.append((chart.svg(id: "gt\(ki)"), "\(curves.count) \(kind)-level label\(curves.count == 1 ? "" : "s"): AUROC of the best single SAE feature of each checkpoint's SAE."))
        }
        doc.figures(figs)
        doc.table(header: ["planted feature", "kind", "AUROC first", "AUROC last", "best SAE feature (last)", "formed at step"],
                  rows: a.groundTruth.map {
                      [$0.name, $0.kind, TrackFindings.fmt(($0.auroc.first ?? nil) ?? .nan, 3), TrackFindings.fmt(($0.auroc.last ?? nil) ?? .nan, 3),
                       ($0.bestFeature.last ?? nil).map { "#\($0)" } ?? "–", $0.formedStep.map(String.init) ?? "never"]
                  })
    }

    private static func drift(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        let d = a.drift
        guard !d.steps.isEmpty else { return }
        doc.section("Feature drift", id: "drift",
                    intro: "Feature i of every SAE in the chain is identified by index (warm start). The decoder row's cosine to the final SAE's row i measures directional drift (method.md §8).")
        var figs: [(svg: String, caption: String)] = []
        let qNames = ["10th pct", "25th pct", "median", "75th pct", "90th pct"]
        var series: [LineSeries] = []
        for (qi, name) in qNames.enumerated() {
            let color = qi == 2 ? Palette.color(0) : "#9ecae1"
            series.append(LineSeries(name: "cos to final, \(name)", x: x(d.steps), y: d.toFinalQuantiles.map { $0.count == 5 ? $0[qi] : .nan },
                                     color: color, dash: qi == 2 ? nil : (qi == 0 || qi == 4 ? "2,2" : "5,3"), markers: qi == 2,
                                     lineWidth: qi == 2 ? 2.2 : 1.3))
        }
        let prevPoints = zip(d.steps, d.toPreviousMedian).compactMap { s, v in v.map { (Double(s), $0) } }
        if !prevPoints.isEmpty {
            series.append(LineSeries(name: "cos to previous, median", x: prevPoints.map(\.0), y: prevPoints.map(\.1),
                                     color: Palette.color(1), markers: true))
        }
        var refs: [ReferenceLine] = []
        if let ind = d.independentMedian {
            refs.append(ReferenceLine(.horizontal, at: ind, label: "independent SAEs, median", color: Palette.color(3)))
        }
        // Cosines can go negative early in training: extend the axis below −0.1 when they do.
        func cosineDomain(_ values: [Double]) -> ClosedRange<Double> {
            let lo = values.filter(\.isFinite).min() ?? 0
            return (lo < -0.1 ? (lo * 10).rounded(.down) / 10 : -0.1)...1.0
        }
        figs.append((LineChart(title: "Decoder cosine across the chain", xLabel: stepAxis, yLabel: "cosine", xScale: .stepLog,
                               yDomain: cosineDomain(series.flatMap(\.y)), series: series, references: refs, width: 600, height: 330).svg(id: "driftq"),
                     "Quantiles over live features of cos(W_dec[c][i], W_dec[final][i]), and the median cosine between consecutive chained SAEs."))
        if !d.features.isEmpty {
            let fs = d.features.map { LineSeries(name: "#\($0.feature) \($0.label)", x: x(d.steps), y: $0.values.map { $0 ?? .nan }, markers: true) }
            figs.append((LineChart(title: "Per-feature cosine to final", xLabel: stepAxis, yLabel: "cosine", xScale: .stepLog,
                                   yDomain: cosineDomain(fs.flatMap(\.y)), series: fs, width: 600, height: 330).svg(id: "driftf"),
                         "Randomly chosen live features (seeded), as in the paper's feature-centric plot (x is step + 1 here rather than checkpoint index)."))
        }
        doc.figures(figs)
        if !a.cosineHistograms.isEmpty {
            let n = a.cosineHistograms.count
            let hs = a.cosineHistograms.enumerated().map { i, h in
                HistogramSeries(name: "step \(h.step) vs \(h.finalStep)", edges: h.edges, counts: h.counts,
                                color: Palette.ramp(n == 1 ? 1 : Double(i) / Double(n - 1)))
            }
            let chart = HistogramChart(title: "Decoder cosine to the final SAE", xLabel: "Cosine similarity",
                                       yLabel: "Number of latents (log scale)", logY: true, series: hs, width: 760, height: 330)
            doc.figures([(chart.svg(id: "hist"), "Per-latent cosine between the SAE at a checkpoint and the final SAE (100 bins on [−1, 1], log count axis; method.md §8.2). Early → late checkpoints run blue → red.")])
        }
        if !a.trajectories.isEmpty {
            let total = a.trajectories.first.map { Double(max(1, $0.steps.count - 1)) } ?? 1
            var figs: [(svg: String, caption: String)] = []
            for (i, t) in a.trajectories.enumerated() {
                let progress = (0..<t.steps.count).map { Double($0) / total }
                let ev = t.explainedVariance.map { TrackFindings.fmt($0 * 100, 0) + "%" }.joined(separator: ", ")
                let chart = TrajectoryChart(title: "Feature #\(t.feature) \(t.label)",
                                            xLabel: "PC 1", yLabel: "PC 2",
                                            trajectories: [Trajectory(name: "#\(t.feature)", x: t.pc1, y: t.pc2, progress: progress)],
                                            width: 290, height: 260, rampCaption: i == 0 ? "early → late" : nil)
                figs.append((chart.svg(id: "traj\(i)"), "PCA of W_dec[\(t.feature)] over \(t.steps.count) checkpoints (variance explained \(ev))."))
            }
            doc.raw("<h3>PCA trajectories of decoder rows</h3>")
            doc.figures(figs)
        }
    }

    private static func convergence(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard !a.convergence.isEmpty else { return }
        doc.section("Convergence: warm start vs from scratch", id: "convergence",
                    intro: "At chosen checkpoints an independent SAE is trained from scratch on the same activations with the first-stage settings (its budget is given under Settings); both runs' training curves are plotted against SAE training steps (the paper's appendix comparison, measured). The warm-started stage starts from the previous checkpoint's SAE.")
        for (ci, c) in a.convergence.enumerated() {
            doc.raw("<h3>Checkpoint step \(c.checkpointStep)</h3>")
            var figs: [(svg: String, caption: String)] = []
            let panels: [(String, KeyPath<TrackAnalysis.TrainingCurve, [Double]>, PlotScale.Kind)] = [
                ("loss", \.loss, .log), ("MSE (normalised)", \.mse, .log), ("L0", \.l0, .linear), ("explained variance", \.explainedVariance, .linear),
            ]
            for (pi, p) in panels.enumerated() {
                let series = [
                    LineSeries(name: "SAE-Track (warm)", x: c.chain.steps.map { Double($0) }, y: c.chain[keyPath: p.1], color: Palette.color(0), lineWidth: 2),
                    LineSeries(name: "from scratch", x: c.scratch.steps.map { Double($0) }, y: c.scratch[keyPath: p.1], color: Palette.color(3), dash: "6,3", lineWidth: 2),
                ]
                let yDomain: ClosedRange<Double>? = p.0 == "explained variance" ? 0...1 : nil
                let chart = LineChart(title: p.0, xLabel: "SAE training step", yLabel: p.0, yScale: p.2, yDomain: yDomain,
                                      series: series, width: 290, height: 240, showLegend: false)
                figs.append((chart.svg(id: "conv\(ci)_\(pi)"), ""))
            }
            doc.figures(figs)
            let f = TrackFindings.fmt
            doc.paragraph("Held-out EV: SAE-Track \(f(c.chainFinalEV, 3)) after \(c.chain.steps.last ?? 0) steps; from scratch \(f(c.scratchFinalEV, 3)) after \(c.scratch.steps.last ?? 0) steps. "
                          + (c.scratchStepsToMatchChain.map { "From scratch needed **\($0) steps** to reach the chain's final training EV." } ?? "From scratch **never reached** the chain's final training EV within its budget."))
        }
    }

    private static func cards(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard !a.featureCards.isEmpty else { return }
        doc.section("Feature cards", id: "cards",
                    intro: "Top-activating contexts of selected features under the SAE and model of each checkpoint (same feature index along the chain). The activating token is highlighted; its activation is on the left.")
        var html = "<div class=\"cards\">"
        for card in a.featureCards {
            html += "<div class=\"card\"><h3>Feature #\(card.feature)</h3><div class=\"meta\">\(SVGCanvas.escape(readableKind(card.kind))) · \(SVGCanvas.escape(card.description))</div>"
            for snap in card.snapshots {
                html += "<div class=\"ctx\"><strong>step \(snap.step)</strong></div>"
                if snap.contexts.isEmpty { html += "<div class=\"ctx\"><span class=\"step\"></span><em>no activation</em></div>" }
                let maxAct = max(1e-9, snap.contexts.map(\.activation).max() ?? 1)
                for c in snap.contexts {
                    var line = "<div class=\"ctx\"><span class=\"step\">\(TrackFindings.fmt(c.activation, 2))</span>"
                    for (ti, tok) in c.tokens.enumerated() {
                        let t = SVGCanvas.escape(tok)
                        if ti == c.position {
                            let alpha = 0.25 + 0.65 * min(1, c.activation / maxAct)
                            line += "<span class=\"tok\" style=\"background:rgba(214,39,40,\(TrackFindings.fmt(alpha, 2)));font-weight:600\">\(t)</span> "
                        } else {
                            line += "\(t) "
                        }
                    }
                    html += line + "</div>"
                }
            }
            html += "</div>"
        }
        doc.raw(html + "</div>")
    }

    /// "tokenLevel" → "token-level".
    static func readableKind(_ kind: String) -> String {
        var out = ""
        for ch in kind { if ch.isUppercase { out += "-" + ch.lowercased() } else { out.append(ch) } }
        return out
    }

    private static func settings(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        let m = a.meta
        doc.section("Settings", id: "settings")
        var items = [
            "Model: \(m.model); hook \(m.hook)\(m.centered ? ", activations centred per token" : "").",
            "SAE: d_in \(m.dIn), d_sae \(m.dSAE); first stage \(m.firstStageSteps) steps from scratch, continual stages \(m.continualStageSteps) steps warm-started (all four tensors, fresh Adam).",
            "Checkpoints (\(m.order) chain): " + m.steps.map(String.init).joined(separator: ", ") + ".",
            "Evaluation on \(m.evaluationTokens) held-out tokens per checkpoint.",
        ]
        items += m.notes
        doc.list(items)
    }
}
