import Foundation
import Testing
import SAETrackCore
@testable import SAETrackMetrics

@Suite("Ground truth: AUROC of the best feature per planted label")
struct GroundTruthTests {
    @Test("AUROC by midranks matches a numpy rank formula (ties); constant scores give 0.5")
    func aurocAgainstNumpy() throws {
        let fx = try Fixture("auroc.json")
        let got = AUROC.compute(scores: fx.floats("scores"), labels: fx["labels"] as! [Bool])!
        #expect(abs(got - fx.double("auroc")) < 1e-12)
        #expect(AUROC.compute(scores: [1, 1, 1, 1], labels: [true, false, true, false]) == 0.5)
        #expect(AUROC.compute(scores: [0, 1, 2, 3], labels: [false, false, true, true]) == 1)
        #expect(AUROC.compute(scores: [0, 1, 2, 3], labels: [true, true, false, false]) == 0)
        #expect(AUROC.compute(scores: [0, 1], labels: [true, true]) == nil)
    }

    @Test("per-feature AUROC from sparse codes and the best live feature match numpy; dead feature excluded")
    func bestFeatureAgainstNumpy() throws {
        let fx = try Fixture("auroc.json")
        let codes = SparseRows(dense: fx.matrix("codes"))
        let masks = fx["masks"] as! [[Int]]
        let labels = masks.enumerated().map { PlantedLabel(name: "label\($0.offset)", mask: $0.element.map { UInt8($0) }) }
        let all = GroundTruth.aurocs(codes: codes, labels: labels)
        let expected = fx["expected"] as! [[Any]]
        for li in 0..<3 {
            for f in 0..<12 {
                if let e = expected[li][f] as? NSNumber { #expect(abs(all[li][f]! - e.doubleValue) < 1e-12) }
                else { #expect(all[li][f] == nil) }
            }
        }
        // The sparse path equals the dense reference on one column.
        let col = (0..<200).map { codes.gathering([$0]).value.isEmpty ? Float(0) : fx.matrix("codes")[$0, 3] }
        #expect(all[0][3] == AUROC.compute(scores: col, labels: labels[0].mask))
        let cp = GroundTruth.evaluate(step: 5, codes: codes, labels: labels)
        let best = fx["best"] as! [Any]
        for li in 0..<3 { #expect(cp.labels[li].bestFeature == (best[li] as? Int)) }
        #expect(cp.labels[1].bestFeature == 7 && cp.labels[1].auroc == 1)
        #expect(cp.labels[2].auroc == nil && cp.labels[2].positives == 0)
        #expect(cp.labels.allSatisfy { $0.bestFeature != 4 })
        // A NaN code (diverged SAE) counts as a zero instead of trapping.
        var withNaN = fx.matrix("codes"), zeroed = fx.matrix("codes")
        withNaN[10, 3] = .nan
        zeroed[10, 3] = 0
        let a = GroundTruth.aurocs(codes: SparseRows(dense: withNaN), labels: labels)
        let b = GroundTruth.aurocs(codes: SparseRows(dense: zeroed), labels: labels)
        #expect(a[0][3] == b[0][3] && a[0][3] != nil)
    }

    @Test("formation: first checkpoint from which the best AUROC stays ≥ threshold")
    func formationStep() {
        func cp(_ step: Int, _ a: Double?) -> GroundTruthCheckpoint {
            GroundTruthCheckpoint(step: step, labels: [LabelMatch(label: "sports", positives: 10, bestFeature: 1, auroc: a)])
        }
        // The demo-design table: 0.54 0.52 0.87 0.90 0.98 1.00 → formed at step 16 (θ = 0.85).
        let demo = [cp(0, 0.54), cp(8, 0.52), cp(16, 0.87), cp(32, 0.90), cp(180, 0.98), cp(600, 1.0)]
        #expect(GroundTruth.formation(demo)[0].formedAtStep == 16)
        // A transient early crossing does not count.
        let transient = [cp(0, 0.9), cp(1, 0.6), cp(2, 0.86), cp(3, 0.95)]
        #expect(GroundTruth.formation(transient)[0].formedAtStep == 2)
        #expect(GroundTruth.formation([cp(0, 0.9), cp(1, 0.7)])[0].formedAtStep == nil)
        #expect(GroundTruth.formation([cp(0, 1), cp(1, 1)])[0].formedAtStep == 0)
    }
}
