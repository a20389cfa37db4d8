import Foundation

/// The feature life history in the report: the live-count strip drawn under every drift and
/// formation figure, and the "Feature life history" section (live count, births and deaths per
/// interval, and the dissolved detectors with their new top activations).
extension TrackReport {
    /// A short chart of the live count per checkpoint on the step axis, to sit under a figure
    /// ("" when the analysis has no life history).
    static func liveStrip(_ a: TrackAnalysis, id: String, width: Double = 600) -> String {
        guard let h = a.lifeHistory, !h.steps.isEmpty else { return "" }
        let chart = LineChart(xLabel: "", yLabel: "live", xScale: .stepLog, yDomain: 0...Double(max(1, a.meta.dSAE)),
                              series: [LineSeries(name: "live features (of \(a.meta.dSAE))", x: h.steps.map(Double.init),
                                                  y: h.live.map(Double.init), color: Palette.axis, markers: true, lineWidth: 1.2)],
                              width: width, height: 110)
        return "<div class=\"livestrip\">" + chart.svg(id: id) + "</div>"
    }

    /// The caption sentence that goes with `liveStrip(_:id:width:)`.
    static func liveCaption(_ a: TrackAnalysis) -> String {
        guard let h = a.lifeHistory, let lo = h.live.min(), let hi = h.live.max() else { return "" }
        return " Below: live features (firing on at least one held-out token) at each checkpoint, \(lo)–\(hi) of \(a.meta.dSAE)."
    }

    static func lifeHistory(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard let h = a.lifeHistory, !h.steps.isEmpty else { return }
        let th = TrackFindings.fmt(h.threshold, 2)
        doc.section("Feature life history", id: "life",
                    intro: "Per checkpoint interval: features born (silent on every held-out token at the earlier checkpoint, firing at the later), features that died (the reverse), and dissolutions — a feature that detected a planted label (its AUROC for it ≥ \(th)) and no longer does (Docs/Metrics.md). A dissolved detector is shown with what it fires on now.")
        let xs = h.steps.map(Double.init)
        let ivx = h.intervals.map { Double($0.toStep) }
        var series = [LineSeries(name: "live", x: xs, y: h.live.map(Double.init), color: Palette.color(0), markers: true, lineWidth: 2)]
        series.append(LineSeries(name: "births (interval ending here)", x: ivx, y: h.intervals.map { Double($0.births) }, color: Palette.color(2), markers: true))
        series.append(LineSeries(name: "deaths", x: ivx, y: h.intervals.map { Double($0.deaths) }, color: Palette.color(3), markers: true))
        if h.hasLabels {
            series.append(LineSeries(name: "dissolved detectors", x: ivx, y: h.intervals.map { Double($0.dissolutionCount) },
                                     color: Palette.color(4), markers: true))
        }
        let chart = LineChart(title: "Live features, births, deaths and dissolutions", xLabel: "Training step (log scale; 0 shown)",
                              yLabel: "features", xScale: .stepLog, series: series, width: 600, height: 320)
        doc.figures([(chart.svg(id: "life"), "Live count at each checkpoint; births, deaths and dissolved (feature, label) detector pairs of the interval that ends at each checkpoint.")])
        doc.table(header: ["interval", "live before → after", "births", "deaths", "detectors before", "dissolved"],
                  rows: h.intervals.enumerated().map { k, iv in
                      ["\(iv.fromStep) → \(iv.toStep)", "\(h.live[k]) → \(h.live[k + 1])", String(iv.births), String(iv.deaths),
                       h.hasLabels ? String(iv.detectorsBefore) : "–", h.hasLabels ? String(iv.dissolutionCount) : "–"]
                  })
        let listed = h.intervals.flatMap { iv in iv.dissolutions.map { (iv, $0) } }
        guard !listed.isEmpty else {
            if h.hasLabels { doc.paragraph("No planted-label detector dissolved along the chain.") }
            return
        }
        var html = "<table class=\"dissolutions\"><thead><tr><th>interval</th><th>feature</th><th>was detector of</th><th>AUROC before → after</th><th>label now best detected by</th><th>now</th><th>new top activations</th></tr></thead><tbody>"
        let f = TrackFindings.fmt
        for (iv, d) in listed {
            let maxAct = d.top.map(\.activation).max() ?? 1
            let contexts = d.top.map { contextLine($0, maxAct: maxAct) }.joined(separator: "<br>")
            let after = d.aliveAfter ? (d.aurocAfter.map { f($0, 3) } ?? "–") : "dead"
            let best = d.labelBestFeatureAfter.map { "#\($0) (\(d.labelBestAurocAfter.map { f($0, 3) } ?? "–"))" } ?? "–"
            html += "<tr><td>\(iv.fromStep) → \(iv.toStep)</td><td>#\(d.feature)</td><td>\(SVGCanvas.escape(d.label))</td><td>\(f(d.aurocBefore, 3)) → \(after)</td><td>\(best)</td><td>\(SVGCanvas.escape(d.nowLabel))</td><td class=\"ctx\">\(contexts)</td></tr>"
        }
        html += "</tbody></table>"
        let total = h.intervals.map(\.dissolutionCount).reduce(0, +)
        html += "<p class=\"caption\">\(listed.count) of \(total) dissolved detector pairs listed (at most \(FeatureLifeHistoryBuilder.dissolutionLimit) per interval, strongest former detectors first); the full counts are in the table above and in <code>life_history.csv</code>, the listed ones in <code>dissolutions.csv</code>.</p>"
        doc.raw(html)
    }
}
