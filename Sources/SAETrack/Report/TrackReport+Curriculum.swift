import Foundation

/// The curriculum section of the report: each scheduled onset and dissolution against the detected one.
extension TrackReport {
    static func curriculum(_ a: TrackAnalysis, into doc: inout HTMLDocument) {
        guard let t = a.curriculum else { return }
        let th = TrackFindings.fmt(t.threshold, 2)
        doc.section("Curriculum: scheduled against detected timing", id: "curriculum",
                    intro: "The LM's training batches held each scheduled feature's data only inside its window (enter step ≤ training step < leave step); the evaluation tokens hold every feature at every checkpoint. Detected onset: the first checkpoint from which the label's best-feature AUROC stays ≥ \(th) (up to its dissolution); dissolution: the first checkpoint from which it stays below. The first checkpoint that can show an event scheduled at step s is the first with step > s. Error ε = detected − that checkpoint, in checkpoint intervals, and detected step − s (Docs/Metrics.md).")
        func n(_ v: Int?) -> String { v.map(String.init) ?? "–" }
        func signed(_ e: TrackAnalysis.CurriculumEvent) -> String {
            e.detectedStep == nil ? "not detected" : e.errorIntervals.map { $0 > 0 ? "+\($0)" : String($0) } ?? "–"
        }
        doc.table(header: ["feature", "event", "scheduled step", "first checkpoint able to show it", "detected at step", "ε (intervals)", "ε (steps)"],
                  rows: t.events.map { e in
                      [e.feature, e.event.rawValue, String(e.scheduledStep), n(e.expectedStep), n(e.detectedStep),
                       signed(e), e.errorSteps.map { $0 > 0 ? "+\($0)" : String($0) } ?? "–"]
                  })
        doc.paragraph(TrackFindings.curriculumSentence(t))
    }
}
