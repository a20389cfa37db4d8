import Foundation

/// Renders a `TrackAnalysis` as the self-contained `report.html`: findings, the per-checkpoint
/// table and panels, formation (progress measures with population bands and phase markers,
/// random baseline, ground truth as lines or heatmaps), drift (quantile bands, per-feature curves,
/// chain vs from-scratch after matching, histograms, PCA trajectories), convergence, a searchable
/// feature index and the feature cards. One file: inline CSS and SVG, one small inline script
/// (the index filters), hover values as SVG `<title>`s; nothing is loaded.
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
        curriculum(analysis, into: &doc)
        headToHead(analysis, into: &doc)
        drift(analysis, into: &doc)
        lifeHistory(analysis, into: &doc)
        convergence(analysis, into: &doc)
        featureIndex(analysis, into: &doc)
        cards(analysis, into: &doc)
        settings(analysis, into: &doc)
        return doc.render()
    }

    private static func x(_ steps: [Int]) -> [Double] { steps.map { Double($0) } }
    static let stepAxis = "Training step (log scale; 0 shown)"

    private static func summaryTable(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard !a.summary.isEmpty else { return }
        doc.section("Per-checkpoint summary", id: "summary",
                    intro: "Each row is one SAE of the chain, evaluated on held-out tokens of that checkpoint. CE recovered = (L_zero − L_recon)/(L_zero − L_clean) with the hook's activations replaced by the SAE reconstruction; it is only defined where zero-ablating the hook raises the loss (L_zero > L_clean) and reads n/a elsewhere (when the two losses are close it is still defined but unstable: compare the zero-ablation and clean losses in the table). Cosines are medians over features alive in both SAEs.")
        let f = TrackFindings.fmt
        let rows = a.summary.map { s -> [String] in
            [String(s.step), s.lmLoss.map { f($0, 3) } ?? "–", s.zeroAblatedLoss.map { f($0, 3) } ?? "–", f(s.saeLoss, 4), f(s.mse, 4), f(s.l0, 1),
             f(s.explainedVariance, 3), f(s.deadFraction, 3), s.ceRecovered.map { f($0, 3) } ?? (s.zeroAblatedLoss == nil ? "–" : "n/a"),
             s.cosToPreviousMedian.map { f($0, 3) } ?? "–", f(s.cosToFinalMedian, 3), String(s.saeTrainingSteps)]
        }
        doc.table(header: ["step", "LM loss", "zero-abl. loss", "SAE loss", "MSE", "L0", "EV", "dead frac.", "CE recovered",
                           "cos to prev.", "cos to final", "SAE steps"], rows: rows)
        let steps = x(a.summary.map(\.step))
        var charts: [(String, String)] = []
        func panel(_ id: String, _ title: String, _ yLabel: String, _ values: [Double], color: Int, domain: ClosedRange<Double>? = nil,
                   caption: String) {
            let pts = zip(steps, values).filter { $0.1.isFinite }
            guard !pts.isEmpty else { return }
            charts.append((LineChart(title: title, xLabel: stepAxis, yLabel: yLabel, xScale: .stepLog, yDomain: domain,
                                     series: [LineSeries(name: title, x: pts.map(\.0), y: pts.map(\.1), color: Palette.color(color), markers: true)],
                                     width: 300, height: 240).svg(id: id), caption))
        }
        if a.summary.contains(where: { $0.lmLoss != nil }) {
            panel("lmloss", "Language-model loss", "next-token CE (nats)", a.summary.map { $0.lmLoss ?? .nan }, color: 0,
                  caption: "Held-out LM loss at each checkpoint.")
        }
        panel("ev", "Explained variance", "EV", a.summary.map(\.explainedVariance), color: 2, caption: "Held-out explained variance of each chained SAE.")
        panel("dead", "Dead features", "fraction never firing", a.summary.map(\.deadFraction), color: 3, domain: 0...1,
              caption: "Fraction of features that never fire on the held-out tokens.")
        panel("l0", "Sparsity", "L0 (active features / token)", a.summary.map(\.l0), color: 4, caption: "Mean number of active SAE features per token.")
        let undefined = a.summary.filter { $0.ceRecovered == nil && $0.zeroAblatedLoss != nil }.map(\.step)
        if a.summary.contains(where: { $0.ceRecovered != nil }) {
            panel("ce", "CE recovered", "CE recovered", a.summary.map { $0.ceRecovered ?? .nan }, color: 1,
                  caption: "CE recovered where defined" + (undefined.isEmpty ? "." : "; n/a (not drawn) at step\(undefined.count == 1 ? "" : "s") \(undefined.map(String.init).joined(separator: ", ")), where zero-ablation does not raise the loss."))
        } else if !undefined.isEmpty {
            doc.paragraph("CE recovered is n/a at every checkpoint: zero-ablating the hook never raised the loss above the clean loss, so the ratio is undefined.")
        }
        doc.figures(charts.map { (svg: $0.0, caption: $0.1) })
    }

    /// Distinct colours for tracked features: tab10, then tab20's light variants.
    private static func trackedColor(_ i: Int) -> String { Palette.color(i) }

    private static func formation(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard !a.progress.isEmpty else { return }
        doc.section("Feature formation: progress measures", id: "formation",
                    intro: "For each feature, its top-25 activating tokens under the final SAE and model are fixed; at every checkpoint the mean pairwise similarity of their representations minus that of random tokens is plotted (Docs/Method.md §7). The grey bands are the population: the 25–75 % and 10–90 % ranges and the median over all analysed live features. Coloured lines are the tracked features; a hollow circle marks the onset found automatically (the curve leaves the baseline), a diamond the settling point (it stays near its final value).")
        var figs: [(svg: String, caption: String)] = []
        for (i, p) in a.progress.enumerated() {
            let xs = x(p.steps)
            var bands: [LineBand] = [], series: [LineSeries] = []
            if let pop = p.population {
                func vals(_ v: [Double?]) -> [Double] { v.map { $0 ?? .nan } }
                bands.append(LineBand(name: "10–90 % of \(pop.features) live", x: xs, lower: vals(pop.q10), upper: vals(pop.q90), color: "#7f7f7f", opacity: 0.14))
                bands.append(LineBand(name: "25–75 %", x: xs, lower: vals(pop.q25), upper: vals(pop.q75), color: "#7f7f7f", opacity: 0.22))
                series.append(LineSeries(name: "population median", x: xs, y: vals(pop.median), color: "#333333", dash: "4,2", lineWidth: 2))
            }
            var markers: [PointMarker] = []
            for (fi, fc) in p.features.enumerated() {
                let color = trackedColor(fi)
                let name = "#\(fc.feature) \(fc.label)"
                series.append(LineSeries(name: name, x: xs, y: fc.values.map { $0 ?? .nan }, color: color, lineWidth: 1.5))
                for (step, shape, what) in [(fc.onsetStep, PointMarker.Shape.hollowCircle, "onset"), (fc.settleStep, .diamond, "settled")] {
                    guard let step, let k = p.steps.firstIndex(of: step), let v = fc.values[k] else { continue }
                    markers.append(PointMarker(x: Double(step), y: v, shape: shape, color: color, legend: what,
                                               hover: "\(name) \(what) at step \(step): \(LineChart.value(v))"))
                }
            }
            let chart = LineChart(title: p.title, xLabel: stepAxis, yLabel: "Progress measure", xScale: .stepLog,
                                  yDomain: -0.2...1, series: series, bands: bands, markers: markers,
                                  references: [ReferenceLine(.horizontal, at: 0, label: "baseline (random tokens)")],
                                  width: 600, height: 340)
            figs.append((chart.svg(id: "prog\(i)") + liveStrip(a, id: "prog\(i)live"), "\(p.title): P(f, c) = S({representations at c}) − R(c)." + liveCaption(a)))
        }
        doc.figures(figs)
        if !a.randomBaseline.isEmpty {
            let titles = Dictionary(a.progress.map { ($0.measure, $0.title) }, uniquingKeysWith: { x, _ in x })
            let series = a.randomBaseline.enumerated().map { i, r in
                LineSeries(name: titles[r.measure] ?? r.measure, x: x(r.steps), y: r.values.map { $0 ?? .nan }, color: Palette.color(i), markers: true)
            }
            let chart = LineChart(title: "Random-token similarity R(c)", xLabel: stepAxis, yLabel: "mean pairwise similarity",
                                  xScale: .stepLog, yDomain: -0.2...1, series: series, width: 600, height: 300)
            doc.figures([(chart.svg(id: "random") + liveStrip(a, id: "randomlive"), "Similarity among random tokens at each checkpoint (the subtracted baseline; Docs/Method.md §7.5): how anisotropic the representation space is over training." + liveCaption(a))])
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

    /// Above this many series a figure becomes a heatmap (no legend can keep them apart).
    static let maxLineSeries = 8

    private static func groundTruth(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard !a.groundTruth.isEmpty else { return }
        doc.section("Ground truth: planted features", id: "groundtruth",
                    intro: "The synthetic corpus plants features with known per-token labels. For each, the best single SAE feature's AUROC at every checkpoint (the SAE of that checkpoint, its own best feature). A planted feature counts as formed from the first step after which AUROC stays ≥ \(TrackFindings.fmt(TrackFindings.formationThreshold, 2)). Kinds with more than \(maxLineSeries) labels are drawn as heatmaps (one row per label, sorted by formation step; the outlined cell is where it formed).")
        // One panel per kind of planted feature, so each stays readable.
        let kinds = ["token", "concept", "structural"].filter { k in a.groundTruth.contains { $0.kind == k } }
            + Set(a.groundTruth.map(\.kind)).subtracting(["token", "concept", "structural"]).sorted()
        var figs: [(svg: String, caption: String)] = []
        var heatmaps: [(svg: String, caption: String)] = []
        for (ki, kind) in kinds.enumerated() {
            let curves = a.groundTruth.filter { $0.kind == kind }
            if curves.count > maxLineSeries, let steps = curves.first?.steps {
                let sorted = curves.sorted { ($0.formedStep ?? Int.max, $0.name) < ($1.formedStep ?? Int.max, $1.name) }
                var outlined = Set<[Int]>()
                for (r, g) in sorted.enumerated() { if let s = g.formedStep, let c = steps.firstIndex(of: s) { outlined.insert([r, c]) } }
                let chart = HeatmapChart(title: "\(kind.capitalized)-level planted features", rows: sorted.map(\.name), columns: steps,
                                         values: sorted.map(\.auroc), range: 0.5...1, outlined: outlined, outlineLegend: "formed",
                                         valueName: "AUROC", width: 760)
                heatmaps.append((chart.svg(id: "gt\(ki)") + liveStrip(a, id: "gt\(ki)live", width: 760), "\(curves.count) \(kind)-level labels: best-feature AUROC per checkpoint (columns are checkpoints in chain order, not to scale). Hover a cell for its value." + liveCaption(a)))
            } else {
                let series = curves.enumerated().map { i, g in
                    LineSeries(name: g.name, x: x(g.steps), y: g.auroc.map { $0 ?? .nan }, color: Palette.color(i), markers: true)
                }
                let chart = LineChart(title: "\(kind.capitalized)-level planted features", xLabel: stepAxis, yLabel: "best-feature AUROC",
                                      xScale: .stepLog, yDomain: 0.4...1.0, series: series,
                                      references: [ReferenceLine(.horizontal, at: TrackFindings.formationThreshold, label: "formation threshold", color: "#999")],
                                      width: 600, height: 340)
                figs.append((chart.svg(id: "gt\(ki)") + liveStrip(a, id: "gt\(ki)live"), "\(curves.count) \(kind)-level label\(curves.count == 1 ? "" : "s"): AUROC of the best single SAE feature of each checkpoint's SAE." + liveCaption(a)))
            }
        }
        doc.figures(figs)
        for h in heatmaps { doc.figures([h]) }
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
                    intro: "Feature i of every SAE in the chain is identified by index (warm start). The decoder row's cosine to the final SAE's row i measures directional drift (Docs/Method.md §8).")
        var figs: [(svg: String, caption: String)] = []
        var series: [LineSeries] = []
        let q = (0..<5).map { k in d.toFinalQuantiles.map { $0.count == 5 ? $0[k] : .nan } }
        var bands = [LineBand(name: "cos to final, 10–90 %", x: x(d.steps), lower: q[0], upper: q[4], color: Palette.color(0), opacity: 0.12),
                     LineBand(name: "cos to final, 25–75 %", x: x(d.steps), lower: q[1], upper: q[3], color: Palette.color(0), opacity: 0.22)]
        series.append(LineSeries(name: "cos to final, median", x: x(d.steps), y: q[2], color: Palette.color(0), markers: true, lineWidth: 2.2))
        let prevPoints = zip(d.steps, d.toPreviousMedian).compactMap { s, v in v.map { (Double(s), $0) } }
        if !prevPoints.isEmpty {
            series.append(LineSeries(name: "cos to previous, median", x: prevPoints.map(\.0), y: prevPoints.map(\.1),
                                     color: Palette.color(1), markers: true))
        }
        var refs: [ReferenceLine] = []
        var driftMarkers: [PointMarker] = []
        if let c = d.scratch, let med = c.matchedMedian {
            driftMarkers.append(PointMarker(x: Double(c.step), y: med, shape: .square, color: Palette.color(3),
                                            legend: "from scratch, matched median",
                                            hover: "from-scratch SAE at step \(c.step), Hungarian-matched to the chain: median cosine \(LineChart.value(med))"))
        }
        let floor = seedFloorChartElements(a, steps: x(d.steps))
        bands += floor.bands; series += floor.series; driftMarkers += floor.markers; refs += floor.references
        // Cosines can go negative early in training: extend the axis below −0.1 when they do.
        func cosineDomain(_ values: [Double]) -> ClosedRange<Double> {
            let lo = values.filter(\.isFinite).min() ?? 0
            return (lo < -0.1 ? (lo * 10).rounded(.down) / 10 : -0.1)...1.0
        }
        figs.append((LineChart(title: "Decoder cosine across the chain", xLabel: stepAxis, yLabel: "cosine", xScale: .stepLog,
                               yDomain: cosineDomain(series.flatMap(\.y) + q[0] + floor.bands.flatMap(\.lower)), series: series, bands: bands, markers: driftMarkers, references: refs, width: 600, height: 330).svg(id: "driftq") + liveStrip(a, id: "driftqlive"),
                     "Quantiles over live features of cos(W_dec[c][i], W_dec[final][i]), and the median cosine between consecutive chained SAEs. The red square is an SAE trained from scratch on the final checkpoint, matched one to one to the chain's final SAE (Hungarian on decoder cosine): its index carries no identity, so it is compared after matching." + seedFloorCaption(a) + liveCaption(a)))
        if !d.features.isEmpty {
            let fs = d.features.enumerated().map { i, fc in
                LineSeries(name: "#\(fc.feature) \(fc.label)", x: x(d.steps), y: fc.values.map { $0 ?? .nan }, color: Palette.color(i), markers: true)
            }
            figs.append((LineChart(title: "Per-feature cosine to final", xLabel: stepAxis, yLabel: "cosine", xScale: .stepLog,
                                   yDomain: cosineDomain(fs.flatMap(\.y)), series: fs, width: 600, height: 330).svg(id: "driftf") + liveStrip(a, id: "driftflive"),
                         "Randomly chosen live features (seeded), as in the paper's feature-centric plot (x is the training step here rather than the checkpoint index)." + liveCaption(a)))
        }
        doc.figures(figs)
        if let c = d.scratch {
            let f = TrackFindings.fmt
            let qs = c.matchedCosineQuantiles
            doc.table(header: ["step", "live (chain)", "live (scratch)", "matched", "matched cos 10 %", "median", "90 %", "mean",
                               "MMCS chain→scratch", "MMCS scratch→chain", "shared (cos ≥ \(f(c.threshold, 1)))", "method"],
                      rows: [[String(c.step), String(c.liveChain), String(c.liveScratch), String(c.matched),
                              qs.count == 5 ? f(qs[0], 3) : "–", qs.count == 5 ? f(qs[2], 3) : "–", qs.count == 5 ? f(qs[4], 3) : "–",
                              c.matchedCosineMean.map { f($0, 3) } ?? "–", c.mmcsChainToScratch.map { f($0, 3) } ?? "–",
                              c.mmcsScratchToChain.map { f($0, 3) } ?? "–", c.sharedFraction.map { f($0 * 100, 1) + "%" } ?? "–",
                              c.method == "exactHungarian" ? "Hungarian (exact)" : "greedy top-k"]],
                      caption: "Chain vs from-scratch SAE at the same checkpoint, matched by decoder cosine over live features: one to one (Hungarian) and best partner (MMCS, mean max cosine); the matched mean is the dictionary MCC. Index-aligned cosine between independent SAEs is ≈ 0 by construction and is not shown.")
        }
        seedFloorTables(a, into: &doc)
        if !a.cosineHistograms.isEmpty {
            let n = a.cosineHistograms.count
            let hs = a.cosineHistograms.enumerated().map { i, h in
                HistogramSeries(name: "step \(h.step) vs \(h.finalStep)", edges: h.edges, counts: h.counts,
                                color: Palette.ramp(n == 1 ? 1 : Double(i) / Double(n - 1)))
            }
            let chart = HistogramChart(title: "Decoder cosine to the final SAE", xLabel: "Cosine similarity",
                                       yLabel: "Number of latents (log scale)", logY: true, series: hs, width: 760, height: 330)
            doc.figures([(chart.svg(id: "hist") + liveStrip(a, id: "histlive", width: 760), "Per-latent cosine between the SAE at a checkpoint and the final SAE (100 bins on [−1, 1], log count axis; Docs/Method.md §8.2). Early → late checkpoints run blue → red." + liveCaption(a))])
        }
        if !a.trajectories.isEmpty {
            let total = a.trajectories.first.map { Double(max(1, $0.steps.count - 1)) } ?? 1
            var figs: [(svg: String, caption: String)] = []
            for (i, t) in a.trajectories.enumerated() {
                let progress = (0..<t.steps.count).map { Double($0) / total }
                let ev = t.explainedVariance.map { TrackFindings.fmt($0 * 100, 0) + "%" }.joined(separator: ", ")
                let chart = TrajectoryChart(title: "Feature #\(t.feature) \(t.label)",
                                            xLabel: "PC 1", yLabel: "PC 2",
                                            trajectories: [Trajectory(name: "#\(t.feature)", x: t.pc1, y: t.pc2, progress: progress, steps: t.steps)],
                                            width: 290, height: 260, rampCaption: i == 0 ? "early → late" : nil)
                figs.append((chart.svg(id: "traj\(i)"), "PCA of W_dec[\(t.feature)] over \(t.steps.count) checkpoints (variance explained \(ev))."))
            }
            doc.raw("<h3>PCA trajectories of decoder rows</h3>")
            doc.figures(figs)
            let strip = liveStrip(a, id: "trajlive")
            if !strip.isEmpty { doc.figures([(strip, "Live features at each checkpoint, for the trajectories above." + liveCaption(a))]) }
        }
    }

    private static func convergence(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard !a.convergence.isEmpty else { return }
        doc.section("Convergence: warm start vs from scratch", id: "convergence",
                    intro: "At chosen checkpoints an independent SAE is trained from scratch on the same activations with the first-stage settings (its budget is given under Settings); both runs' training curves are plotted against SAE training steps (the paper's appendix comparison, measured). The warm-started stage starts from the previous checkpoint's SAE.")
        for (ci, c) in a.convergence.enumerated() {
            doc.raw("<h3>Checkpoint step \(c.checkpointStep)</h3>")
            doc.raw("<p class=\"legend\"><span class=\"swatch\" style=\"border-top:2px solid \(Palette.color(0))\"></span>SAE-Track (warm start) <span class=\"swatch\" style=\"border-top:2px dashed \(Palette.color(3))\"></span>from scratch</p>")
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

    /// The text of a token piece for display: newlines and tabs made visible, HTML escaped.
    static func piece(_ t: String) -> String {
        SVGCanvas.escape(t.replacingOccurrences(of: "\n", with: "↵").replacingOccurrences(of: "\t", with: "⇥"))
    }

    /// One context line: every token shaded by the feature's activation there (relative to `maxAct`),
    /// the focus token outlined, activation on hover.
    static func contextLine(_ c: TrackAnalysis.FeatureCard.Context, maxAct: Double) -> String {
        let lead = c.band.map { "<span class=\"band\">\(SVGCanvas.escape($0))</span>" } ?? ""
        var line = "<div class=\"ctx\">\(lead)<span class=\"step\">\(LineChart.value(c.activation, digits: 3))</span>"
        for (ti, tok) in c.tokens.enumerated() {
            let act = ti < c.activations.count ? c.activations[ti] : 0
            let focus = ti == c.position ? " focus" : ""
            if act > 0 || ti == c.position {
                let alpha = min(1, max(0.08, act / maxAct)) * 0.85
                line += "<span class=\"tok\(focus)\" style=\"background:rgba(255,127,14,\(TrackFindings.fmt(alpha, 2)))\" title=\"\(TrackFindings.fmt(act, 3))\">\(piece(tok))</span>"
            } else {
                line += "<span class=\"tok\">\(piece(tok))</span>"
            }
        }
        return line + "</div>"
    }

    /// A small histogram of a snapshot's non-zero activations (log-free, counts on hover).
    static func miniHistogram(_ snap: TrackAnalysis.FeatureCard.Snapshot, id: String) -> String {
        let w = 230.0, h = 74.0, left = 6.0, bottom = h - 16, top = 6.0
        var svg = SVGCanvas(width: w, height: h, chart: id)
        let maxCount = Double(snap.histogramCounts.max() ?? 0)
        let n = snap.histogramCounts.count
        let bw = (w - 2 * left) / Double(max(1, n))
        svg.line(left, bottom, w - left, bottom, stroke: Palette.axis)
        svg.raw("<g class=\"data\">")
        for (i, c) in snap.histogramCounts.enumerated() where c > 0 && maxCount > 0 {
            let bh = max(1, (bottom - top) * Double(c) / maxCount)
            let lo = snap.histogramEdges[i], hi = snap.histogramEdges[min(i + 1, snap.histogramEdges.count - 1)]
            svg.rect(left + Double(i) * bw + 0.5, bottom - bh, bw - 1, bh, fill: Palette.color(1), opacity: 0.8,
                     hover: "activation [\(LineChart.value(lo)), \(LineChart.value(hi))): \(c) tokens")
        }
        if maxCount == 0 { svg.text("never fires", x: w / 2, y: bottom - 20, size: 10, anchor: "middle", color: Palette.muted) }
        svg.raw("</g>")
        svg.text("0", x: left, y: h - 3, size: 9.5, color: Palette.muted)
        svg.text(LineChart.value(snap.maxActivation), x: w - left, y: h - 3, size: 9.5, anchor: "end", color: Palette.muted)
        svg.text("activation", x: w / 2, y: h - 3, size: 9.5, anchor: "middle", color: Palette.muted)
        return svg.render()
    }

    private static func featureIndex(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard !a.featureCards.isEmpty else { return }
        doc.section("Feature index", id: "index",
                    intro: "Every tracked feature, with its label at the first and last checkpoint. Search matches feature numbers and labels at any checkpoint; the filters apply to this table and to the cards below. Formed: its weighted-Jaccard progress curve settles. Dissolved: it lost a planted label it had, or stopped firing.")
        let kinds = Array(Set(a.featureCards.map { readableKind($0.kind) })).sorted()
        var html = "<div class=\"fi-controls\"><input type=\"search\" id=\"fi-search\" placeholder=\"search: feature number or label\" aria-label=\"search features\">"
        for (id, name) in [("fi-alive", "alive"), ("fi-formed", "formed"), ("fi-dissolved", "dissolved")] {
            html += "<label>\(name) <select id=\"\(id)\"><option value=\"\">any</option><option value=\"1\">yes</option><option value=\"0\">no</option></select></label>"
        }
        html += "<label>kind <select id=\"fi-kind\"><option value=\"\">any</option>" + kinds.map { "<option>\(SVGCanvas.escape($0))</option>" }.joined() + "</select></label>"
        html += "<span id=\"fi-count\"></span></div>"
        html += "<div class=\"tablewrap\"><table id=\"feature-index\"><thead><tr><th>feature</th><th>chosen for</th><th>kind</th><th>label, first</th><th>label, final</th><th>alive</th><th>formed at</th><th>dissolved</th><th>density (last card)</th></tr></thead><tbody>"
        for c in a.featureCards {
            let search = (["#\(c.feature)", c.plantedLabel ?? ""] + c.labels.map(\.text)).joined(separator: " | ").lowercased()
            let density = c.snapshots.last.map { TrackFindings.fmt($0.density * 100, 2) + "%" } ?? "–"
            html += "<tr data-feature=\"\(c.feature)\" data-search=\"\(SVGCanvas.escape(search))\" data-kind=\"\(SVGCanvas.escape(readableKind(c.kind)))\" data-alive=\"\(c.aliveAtFinal ? 1 : 0)\" data-formed=\"\(c.formedStep == nil ? 0 : 1)\" data-dissolved=\"\(c.dissolved ? 1 : 0)\">"
            html += "<td><a href=\"#feature-\(c.feature)\">#\(c.feature)</a></td><td>\(SVGCanvas.escape(c.plantedLabel ?? "random"))</td><td>\(SVGCanvas.escape(readableKind(c.kind)))</td>"
            html += "<td>\(SVGCanvas.escape(c.labels.first?.text ?? "–"))</td><td>\(SVGCanvas.escape(c.labels.last?.text ?? "–"))</td>"
            html += "<td>\(c.aliveAtFinal ? "yes" : "no")</td><td class=\"num\">\(c.formedStep.map(String.init) ?? "–")</td><td>\(c.dissolved ? "yes" : "no")</td><td class=\"num\">\(density)</td></tr>"
        }
        doc.raw(html + "</tbody></table></div>")
        doc.script(indexScript)
    }

    /// Filters the feature index and the cards (search text, alive/formed/dissolved, kind).
    static let indexScript = """
    (function(){var q=document.getElementById('fi-search');if(!q)return;var kind=document.getElementById('fi-kind');    var sel=['alive','formed','dissolved'].map(function(k){return document.getElementById('fi-'+k);});    var rows=document.querySelectorAll('#feature-index tbody tr'),count=document.getElementById('fi-count');    function apply(){var t=q.value.trim().toLowerCase(),n=0;rows.forEach(function(r){    var ok=(!t||r.getAttribute('data-search').indexOf(t)>=0)&&(!kind.value||r.getAttribute('data-kind')===kind.value);    sel.forEach(function(s){if(s.value&&r.getAttribute('data-'+s.id.slice(3))!==s.value)ok=false;});    r.style.display=ok?'':'none';var c=document.getElementById('feature-'+r.getAttribute('data-feature'));if(c)c.style.display=ok?'':'none';if(ok)n++;});    count.textContent=n+' of '+rows.length+' features shown';}    [q,kind].concat(sel).forEach(function(e){e.addEventListener('input',apply);e.addEventListener('change',apply);});apply();})();
    """

    private static func cards(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard !a.featureCards.isEmpty else { return }
        doc.section("Feature cards", id: "cards",
                    intro: "One card per tracked feature (same feature index along the chain). The row of labels is the feature's semantic evolution: at each checkpoint the planted label it detects best (AUROC ≥ \(TrackFindings.fmt(TrackFindings.formationThreshold, 2)), blue) or its most frequent top-activating tokens. At chosen checkpoints: firing density, the histogram of its non-zero activations, the logit lens (tokens whose logits the decoder direction raises and lowers most, through the final LayerNorm's scale and the unembedding of that checkpoint), its top contexts and contexts sampled from quantile bands of its activations. Every token is shaded by the feature's activation there (hover for the value); the focus token is outlined.")
        var html = "<div class=\"cards\">"
        for card in a.featureCards {
            var badges = "<span class=\"badge\">\(SVGCanvas.escape(readableKind(card.kind)))</span>"
            if !card.aliveAtFinal { badges += "<span class=\"badge dead\">dead at final</span>" }
            if let s = card.formedStep { badges += "<span class=\"badge formed\">formed at \(s)</span>" }
            if card.dissolved { badges += "<span class=\"badge dissolved\">dissolved</span>" }
            html += "<div class=\"card\" id=\"feature-\(card.feature)\"><h3>Feature #\(card.feature)\(badges)</h3><div class=\"meta\">\(SVGCanvas.escape(card.description))</div>"
            if !card.labels.isEmpty {
                html += "<div class=\"labelrow\" title=\"label at each checkpoint\">"
                for l in card.labels {
                    let cls = l.source == "planted" ? " planted" : (l.source == "dead" ? " dead" : "")
                    let hover = "step \(l.step): \(l.text)" + (l.auroc.map { " (AUROC \(TrackFindings.fmt($0, 3)))" } ?? "")
                    html += "<span class=\"lab\(cls)\" title=\"\(SVGCanvas.escape(hover))\"><b>\(l.step)</b>\(SVGCanvas.escape(l.text))</span>"
                }
                html += "</div>"
            }
            for (si, snap) in card.snapshots.enumerated() {
                html += "<div class=\"snap\"><h4>step \(snap.step)</h4><div class=\"snaphead\">"
                html += "<div>density \(TrackFindings.fmt(snap.density * 100, 2)) %<br>max activation \(TrackFindings.fmt(snap.maxActivation, 3))</div>"
                html += miniHistogram(snap, id: "hist-\(card.feature)-\(si)")
                if let lens = snap.logitLens {
                    func chips(_ ts: [TrackAnalysis.FeatureCard.TokenScore], _ cls: String) -> String {
                        ts.map { "<span class=\"\(cls)\" title=\"logit \(TrackFindings.fmt($0.logit, 3)) (id \($0.id))\">\(piece($0.token))</span>" }.joined()
                    }
                    html += "<div class=\"lens\">logit lens ↑ \(chips(lens.top, "pos"))<br>logit lens ↓ \(chips(lens.bottom, "neg"))</div>"
                }
                html += "</div>"
                let maxAct = max(1e-9, snap.maxActivation)
                if snap.top.isEmpty { html += "<div class=\"ctx\"><em>never fires at this checkpoint</em></div>" }
                for c in snap.top { html += contextLine(c, maxAct: maxAct) }
                if !snap.quantileSamples.isEmpty {
                    html += "<div class=\"meta\">quantile samples (band of the non-zero activations)</div>"
                    for c in snap.quantileSamples { html += contextLine(c, maxAct: maxAct) }
                }
                html += "</div>"
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
