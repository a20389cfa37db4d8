import Foundation
import Testing
import SAETrackCore
@testable import SAETrackMetrics

@Suite("Planted-label recovery: best match, one-to-one assignment, classifier scores, uniqueness")
struct LabelRecoveryTests {
    @Test("every field equals numpy/scipy's (AUROC midranks, linear_sum_assignment on 1 − AUROC, firing P/R/F1)")
    func againstScipy() throws {
        let fx = try Fixture("recovery.json")
        let codes = SparseRows(dense: Fixture.matrix(fx["codes"]))
        let masks = (fx["masks"] as! [[Int]]).enumerated().map { PlantedLabel(name: "l\($0.offset)", mask: $0.element.map { $0 != 0 }) }
        let r = LabelRecovery(codes: codes, labels: masks, candidates: fx["candidates"] as? [Bool], threshold: fx.double("threshold"))
        let expected = fx["labels"] as! [[String: Any]]
        func near(_ a: Double?, _ b: Any?, _ what: String) {
            let want = (b as! NSNumber).doubleValue
            #expect(a != nil && abs(a! - want) < 1e-9, "\(what): \(String(describing: a)) vs scipy \(want)")
        }
        for (l, e) in zip(r.labels, expected) {
            let best = e["best_latent"] as? Int, assigned = e["assigned_latent"] as? Int
            #expect(l.bestLatent == best && l.assignedLatent == assigned, "label \(l.name)")
            near(l.bestAUROC, e["best_auroc"], "\(l.name) best AUROC"); near(l.assignedAUROC, e["assigned_auroc"], "\(l.name) assigned AUROC")
            near(l.precision, e["precision"], "\(l.name) precision"); near(l.recall, e["recall"], "\(l.name) recall")
            near(l.f1, e["f1"], "\(l.name) F1")
        }
        #expect(r.recovered == fx["recovered"] as! Int && r.detectors == fx["detectors"] as! Int)
        near(r.uniqueness, fx["uniqueness"], "uniqueness"); near(r.f1, fx["f1"], "F1")
        near(r.precision, fx["precision"], "precision"); near(r.recall, fx["recall"], "recall")
        near(r.meanBestAUROC, fx["mean_best_auroc"], "mean best AUROC")
        // Latent 5 fires but is not a candidate; latent 13 is dead: neither is ever chosen.
        let chosen = Set(r.labels.flatMap { [$0.bestLatent, $0.assignedLatent] }.compactMap { $0 })
        #expect(r.candidates == 14 && !chosen.contains(5) && !chosen.contains(13))
    }

    @Test("a label split over two latents lowers uniqueness, not recall; a one-sided label has no score")
    func splitAndUndefined() {
        // 8 tokens; label A on tokens 0–3, latents 0 and 1 both fire exactly there; label B on none.
        let dense = Matrix(rows: 8, cols: 3, storage: (0..<8).flatMap { t in t < 4 ? [1, 2, 0] : [0, 0, Float(t)] })
        let labels = [PlantedLabel(name: "A", mask: (0..<8).map { $0 < 4 }), PlantedLabel(name: "B", mask: [Bool](repeating: false, count: 8))]
        let r = LabelRecovery(codes: SparseRows(dense: dense), labels: labels)
        #expect(r.labels[0].recall == 1 && r.labels[0].precision == 1 && r.recovered == 1)
        #expect(r.detectors == 2 && r.uniqueness == 0.5)
        #expect(r.labels[1].assignedLatent == nil && r.labels[1].f1 == nil && r.f1 == 1)
    }
}
