import Foundation

/// The seed-noise floor in the report: drawn on the drift figure (a band over the pairwise MCC
/// range, a line at its mean, the consecutive chain SAEs' MCC, the chain-vs-scratch MCC), and its
/// table with every chain interval set against it (Docs/Method.md §8.4).
extension TrackReport {
    /// What the floor adds to the "Decoder cosine across the chain" chart over `steps`.
    static func seedFloorChartElements(_ a: TrackAnalysis, steps: [Double])
        -> (bands: [LineBand], series: [LineSeries], markers: [PointMarker], references: [ReferenceLine]) {
        guard let f = a.seedFloor, !steps.isEmpty else { return ([], [], [], []) }
        var bands: [LineBand] = [], series: [LineSeries] = [], markers: [PointMarker] = [], refs: [ReferenceLine] = []
        let color = Palette.color(5)
        // Legend entries are short (the legend clips long ones); the step is named only when there are several.
        for c in f.checkpoints {
            guard let lo = c.floorMin, let hi = c.floorMax, let mean = c.floorMean else { continue }
            let at = f.checkpoints.count > 1 ? " @\(c.step)" : ""
            bands.append(LineBand(name: "seed floor, MCC range" + at, x: steps,
                                  lower: steps.map { _ in lo }, upper: steps.map { _ in hi }, color: color, opacity: 0.2))
            refs.append(ReferenceLine(.horizontal, at: mean, label: "seed floor, mean MCC" + at, color: color))
            if let m = c.chainVsScratchMean {
                markers.append(PointMarker(x: Double(c.step), y: m, shape: .diamond, color: color, legend: "chain vs seeds, MCC",
                                           hover: "chain SAE at step \(c.step) vs \(c.seeds) from-scratch SAEs: MCC \(LineChart.value(m)) (mean over seeds)"))
            }
        }
        let pts = f.intervals.compactMap { iv in iv.mcc.map { (Double(iv.toStep), $0) } }
        if !pts.isEmpty {
            series.append(LineSeries(name: "consecutive SAEs, MCC", x: pts.map(\.0), y: pts.map(\.1), color: color,
                                     dash: "4,2", markers: true))
        }
        return (bands, series, markers, refs)
    }

    /// The caption sentence for the floor on the drift figure ("" without a floor).
    static func seedFloorCaption(_ a: TrackAnalysis) -> String {
        guard let f = a.seedFloor, !f.checkpoints.isEmpty else { return "" }
        let over = f.exceedingIntervals.count
        let at = f.checkpoints.map { "step \($0.step) (\($0.seeds) seeds)" }.joined(separator: ", ")
        return " The shaded horizontal band is the seed-noise floor measured at \(at): the range of the dictionary MCC (mean decoder cosine after Hungarian one-to-one matching, live features) between from-scratch SAEs that differ only in their seed, its line the mean; the dashed line is the MCC of consecutive chain SAEs at the later step of each interval, and the diamond the chain SAE's MCC to the from-scratch SAEs. An interval's drift exceeds seed noise when its consecutive MCC lies below the floor's mean (1 − MCC above 1 − floor): \(over) of \(f.intervals.count) here (Docs/Method.md §8.4)."
    }

    /// The floor's table and the intervals against it.
    static func seedFloorTables(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard let f = a.seedFloor, !f.checkpoints.isEmpty else { return }
        let fmt: (Double?) -> String = { $0.map { TrackFindings.fmt($0, 3) } ?? "–" }
        doc.raw("<h3 id=\"seedfloor\">Seed-noise floor</h3>")
        doc.table(header: ["step", "seeds", "live (chain)", "live (scratch, per seed)", "floor: mean pairwise MCC", "min", "max",
                           "chain vs scratch MCC (mean)", "per seed", "method"],
                  rows: f.checkpoints.map { c in
                      [String(c.step), String(c.seeds), String(c.liveChain), c.liveScratch.map(String.init).joined(separator: ", "),
                       fmt(c.floorMean), fmt(c.floorMin), fmt(c.floorMax), fmt(c.chainVsScratchMean),
                       c.chainVsScratch.map(fmt).joined(separator: ", "), c.method == "exactHungarian" ? "Hungarian (exact)" : "greedy top-k"]
                  },
                  caption: "At each baseline step, SAEs trained from scratch with different seeds on the same activations and settings. MCC(A, B) = mean over matched pairs of cos(W_dec^A[i], W_dec^B[σ(i)]) under the one-to-one assignment σ maximising the total cosine (Hungarian), live features only (arXiv 2505.20254's dictionary MCC). The pairwise MCC among seeds is the floor: how alike two dictionaries are from the seed alone. Chain vs scratch is the chain SAE's MCC to each seed's SAE: near the floor, the warm-started path found a dictionary as alike to a from-scratch one as two seeds are to each other; well below it, the path shaped which features it holds. Compare the live counts: the matching pairs min(live A, live B) features, so a side with many more live features offers more candidates and lifts the MCC by that alone.")
        let rows = f.intervals.map { iv -> [String] in
            let drift: String = fmt(iv.mcc.map { 1 - $0 })
            let noise: String = fmt(iv.floorMean.map { 1 - $0 })
            let verdict: String = iv.exceedsFloor.map { $0 ? "exceeds" : "within" } ?? "–"
            return ["\(iv.fromStep) → \(iv.toStep)", fmt(iv.mcc), fmt(iv.indexAlignedCosineMean), drift, noise, String(iv.floorStep), verdict]
        }
        let hot = Set(f.intervals.enumerated().filter { $0.element.exceedsFloor == true }.map { [$0.offset, 6] })
        doc.table(header: ["interval", "MCC (matched)", "index-aligned cos (mean)", "drift 1 − MCC", "seed noise 1 − floor", "floor step", "vs seed noise"],
                  rows: rows,
                  caption: "Every interval of the chain against the floor of the nearest baseline step: drift = 1 − MCC of the two consecutive chain SAEs (the same matched measure as the floor; the index-aligned mean cosine beside it is the chain's own identity; with the same live features in both it is at most the matched MCC, and equal when every feature kept its index), seed noise = 1 − the floor's mean MCC. \"exceeds\": the dictionary changed more over the interval than re-seeding alone changes it.",
                  highlight: hot)
    }
}
