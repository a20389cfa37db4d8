import Foundation
import Testing
import SAETrackMetrics
@testable import SAETrack

/// `FeatureLifeHistoryBuilder` on hand-made codes whose births, deaths and AUROCs follow from the
/// definitions in Docs/Metrics.md by hand: 8 tokens, label L on tokens 0–3, 4 features.
struct LifeHistoryTests {
    static let label = PlantedLabel(name: "L", mask: [true, true, true, true, false, false, false, false])

    /// Codes where feature f fires (value 1 + token/10) on the tokens in `fires[f]`.
    static func codes(_ fires: [[Int]]) -> SparseRows {
        let supports = (0..<8).map { t in fires.indices.filter { fires[$0].contains(t) }.map(Int32.init) }
        var c = SparseRows(cols: fires.count)
        for (t, ids) in supports.enumerated() {
            c.append(SparseRows(rows: 1, cols: fires.count, rowStart: [0, ids.count], index: ids,
                                value: ids.map { _ in 1 + Float(t) / 10 }))
        }
        return c
    }

    @Test("births, deaths and dissolutions per interval match the definitions, with the dissolved feature's new top contexts")
    func handMadeChain() {
        let checkpoints: [(Int, [[Int]])] = [
            (0, [[0, 1, 2, 3], [4, 5, 6, 7], [], [0]]),      // #0 detects L (AUROC 1); #2 dead; #3 AUROC 0.625
            (10, [[4, 5, 6, 7], [], [0, 1, 2, 3], [0]]),     // #0 now fires off-label (AUROC 0); #1 dies; #2 born, detects L
            (20, [[4, 5, 6, 7], [], [], [0]]),               // #2 dies: its detector pair dissolves into "dead"
        ]
        var b = FeatureLifeHistoryBuilder(labels: ["L"], threshold: 0.85, tokens: (0..<8).map { Int32(100 + $0) }, context: 4, decode: nil)
        for (step, fires) in checkpoints {
            let c = Self.codes(fires)
            let alive = fires.map { !$0.isEmpty }
            b.add(step: step, codes: c, alive: alive, aurocs: GroundTruth.aurocs(codes: c, labels: [Self.label]),
                  groundTruth: GroundTruth.evaluate(step: step, codes: c, labels: [Self.label]))
        }
        let h = b.result
        #expect(h.steps == [0, 10, 20] && h.live == [3, 3, 2] && h.hasLabels)
        #expect(h.intervals.count == 2)
        let first = h.intervals[0]
        #expect(first.fromStep == 0 && first.toStep == 10)
        #expect(first.births == 1 && first.born == [2] && first.deaths == 1 && first.died == [1])
        #expect(first.detectorsBefore == 1 && first.dissolutionCount == 1)
        let d = first.dissolutions[0]
        #expect(d.feature == 0 && d.label == "L" && d.aurocBefore == 1 && d.aurocAfter == 0 && d.aliveAfter)
        #expect(d.labelBestFeatureAfter == 2 && d.labelBestAurocAfter == 1)
        #expect(d.nowLabel == "#104 / #105 / #106")                  // its top tokens (each once: ties by id)
        #expect(d.top.map(\.activation).map { ($0 * 10).rounded() } == [17, 16, 15])
        #expect(d.top.map { $0.tokens[$0.position].trimmingCharacters(in: .whitespaces) } == ["#107", "#106", "#105"])
        let second = h.intervals[1]
        #expect(second.births == 0 && second.deaths == 1 && second.died == [2] && second.detectorsBefore == 1)
        #expect(second.dissolutions.map(\.feature) == [2])
        #expect(second.dissolutions[0].aurocAfter == nil && !second.dissolutions[0].aliveAfter)
        #expect(second.dissolutions[0].nowLabel == "dead" && second.dissolutions[0].top.isEmpty)
        #expect(second.dissolutions[0].labelBestFeatureAfter == 3)   // only #3 still fires on an L token
    }

    @Test("without planted labels there are births and deaths but no detectors")
    func noLabels() {
        var b = FeatureLifeHistoryBuilder(labels: [], threshold: 0.85, tokens: nil, context: 1, decode: nil)
        for (step, fires) in [(0, [[0], [], [1]]), (5, [[], [2], [1]])] {
            b.add(step: step, codes: Self.codes(fires), alive: fires.map { !$0.isEmpty }, aurocs: nil, groundTruth: nil)
        }
        let h = b.result
        #expect(h.live == [2, 2] && !h.hasLabels)
        #expect(h.intervals[0].births == 1 && h.intervals[0].deaths == 1 && h.intervals[0].dissolutionCount == 0)
    }
}
