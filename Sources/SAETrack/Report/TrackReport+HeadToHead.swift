import Foundation
import SAETrackMetrics

/// The head-to-head section: the chain against independent per-checkpoint SAEs and a
/// cross-snapshot crosscoder on the same checkpoints (Docs/Metrics.md, "Head-to-head").
extension TrackReport {
    static func headToHead(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard let h = a.headToHead, !h.methods.isEmpty else { return }
        let th = TrackFindings.fmt(h.threshold, 2)
        let steps = h.steps.map(String.init).joined(separator: ", ")
        doc.section("Head-to-head: chain, independent SAEs, crosscoder", id: "headtohead",
                    intro: "The same checkpoints (steps \(steps)), the same evaluation tokens and planted labels for every method. The chain is SAE-Track's warm-started sequence; independent SAEs are trained from scratch at each checkpoint with the first stage's settings; the crosscoder is one shared sparse code over all these checkpoints' activations at once, with a decoder per checkpoint, and a latent counts at a checkpoint where its decoder norm there is at least \(TrackFindings.fmt(h.crosscoderPresenceFraction, 2)) of its largest. Per checkpoint, each label gets its best latent (best-match AUROC) and, by a one-to-one latent ↔ label assignment maximising the total AUROC (Hungarian), one latent whose firing is scored as a classifier of the label (precision, recall, F1); uniqueness is the number of different labels the detecting latents (best AUROC ≥ \(th)) detect, over their count. Onsets and dissolutions are detected on each method's best-AUROC curves over these checkpoints, as in the curriculum section.")
        let f = TrackFindings.fmt
        func opt(_ v: Double?, _ digits: Int = 3) -> String { v.map { f($0, digits) } ?? "–" }
        func mean(_ m: TrackAnalysis.HeadToHead.Method, _ key: (LabelRecovery) -> Double?) -> String {
            opt(TrackAnalysis.HeadToHead.mean(m.recovery.map(key)))
        }
        func bytes(_ b: Int?) -> String { b.map { CostEstimate.compact(Double($0)) + "B" } ?? "–" }
        doc.table(header: ["method", "mean best AUROC", "recovered (final)", "precision", "recall", "F1", "uniqueness",
                           "onset |ε| median (intervals)", "events undetected", "optimizer steps", "activation vectors", "CPU s", "activations held"],
                  rows: h.methods.map { m in
                      let last = m.recovery.last
                      return [m.kind.rawValue, mean(m, \.meanBestAUROC), last.map { "\($0.recovered)/\($0.labels.count)" } ?? "–",
                              mean(m, \.precision), mean(m, \.recall), mean(m, \.f1), mean(m, \.uniqueness),
                              opt(m.curriculum?.medianAbsErrorIntervals, 1), m.curriculum.map { "\($0.undetected) of \($0.events.count)" } ?? "–",
                              String(m.cost.optimizerSteps), CostEstimate.compact(Double(m.cost.activationVectors)),
                              opt(m.cost.cpuSeconds, 1), bytes(m.cost.activationBytesHeld)]
                  },
                  caption: "Recovery measures are means over the compared checkpoints; \"recovered\" counts the labels whose assigned latent reaches AUROC \(th) at the last one. Cost: optimizer steps and activation vectors read in training (steps × batch, × checkpoints for the crosscoder), measured CPU seconds of the training loops (– when a run was resumed or not timed), and the largest float32 activation storage held at once. The chain's cost counts every stage up to the last compared checkpoint, since it cannot skip one.")
        let x = h.steps.map(Double.init)
        func chart(_ id: String, _ title: String, _ key: (LabelRecovery) -> Double?) -> String {
            let series = h.methods.enumerated().compactMap { i, m -> LineSeries? in
                let pts = zip(x, m.recovery.map(key)).compactMap { s, v in v.map { (s, $0) } }
                return pts.isEmpty ? nil : LineSeries(name: m.kind.rawValue, x: pts.map(\.0), y: pts.map(\.1), color: Palette.color(i),
                                                      dash: i == 0 ? nil : (i == 1 ? "5,3" : "2,2"), markers: true)
            }
            return LineChart(title: title, xLabel: stepAxis, yLabel: title, xScale: .stepLog, yDomain: 0...1, series: series,
                             width: 360, height: 260).svg(id: id)
        }
        doc.figures([
            (chart("h2h-f1", "F1 (one-to-one)", \.f1), "Mean F1 over the planted labels of each label's assigned latent, per checkpoint and method."),
            (chart("h2h-auroc", "Mean best AUROC", \.meanBestAUROC), "Mean over labels of the best latent's AUROC, per checkpoint and method."),
            (chart("h2h-unique", "Uniqueness", \.uniqueness), "Distinct labels detected over detecting latents: below 1 where several latents split one label."),
        ])
        let events = h.methods.compactMap { m in m.curriculum.map { (m.kind.rawValue, $0) } }
        if let first = events.first?.1, !first.events.isEmpty {
            doc.table(header: ["feature", "event", "first checkpoint able to show it"] + events.map { "\($0.0): detected (ε)" },
                      rows: first.events.indices.map { i in
                          let e = first.events[i]
                          return [e.feature, e.event.rawValue, e.expectedStep.map(String.init) ?? "–"] + events.map { _, t in
                              let d = t.events[i]
                              return d.detectedStep.map { "\($0) (\(d.errorIntervals.map { $0 > 0 ? "+\($0)" : String($0) } ?? "–"))" } ?? "not detected"
                          }
                      },
                      caption: "Each curriculum event detected on each method's best-AUROC curve over the compared checkpoints; ε in intervals of these checkpoints.")
        }
    }
}
