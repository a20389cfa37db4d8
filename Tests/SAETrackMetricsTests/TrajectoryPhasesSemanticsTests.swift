import Testing
import SAETrackCore
@testable import SAETrackMetrics

@Suite("PCA trajectories, phases and semantic labels")
struct TrajectoryPhasesSemanticsTests {
    @Test("PCA trajectory matches numpy.linalg.svd of the centred stack (up to sign)")
    func pcaAgainstNumpy() throws {
        let fx = try Fixture("pca.json")
        let rows = fx.matrix("rows")
        let traj = try PCATrajectory(feature: 3, rows: rows, steps: Array(0..<9))
        let expected = Fixture.matrix(fx["points"])
        for k in 0..<2 {
            let got = traj.points.map { Double($0[k]) }
            let want = (0..<9).map { Double(expected[$0, k]) }
            let same = maxAbsDiff(got, want), flipped = maxAbsDiff(got, want.map { -$0 })
            #expect(min(same, flipped) < 1e-4, "component \(k)")
        }
        #expect(maxAbsDiff(traj.explainedVarianceRatio, fx.doubles("evr")) < 1e-4)
        // Sign convention: the largest-magnitude loading of each component is positive.
        for axis in traj.components { #expect(axis.max { abs($0) < abs($1) }! > 0) }
        // Building from decoders picks the same rows.
        var decoders: [Matrix] = []
        for c in 0..<9 {
            var d = Matrix(rows: 5, cols: rows.cols)
            for j in 0..<rows.cols { d[3, j] = rows[c, j] }
            decoders.append(d)
        }
        #expect(try PCATrajectory(feature: 3, decoders: decoders, steps: Array(0..<9)) == traj)
    }

    @Test("phases: known change points of synthetic curves, with noise; flat, preformed, dissolved")
    func phasesOnSyntheticCurves() {
        let steps = [0, 1, 2, 4, 8, 16, 32, 64, 128, 180, 240, 300]
        // Flat at 0 until index 4, rises over 5…7, plateau 0.8 from index 8.
        var rng = SeededRandom(seed: 2)
        let clean: [Float] = [0, 0, 0, 0, 0, 0.2, 0.45, 0.65, 0.8, 0.8, 0.8, 0.8]
        let noisy = clean.map { Optional($0 + 0.01 * rng.normal()) }
        let p = Phases.detect(noisy, steps: steps)
        #expect(p.outcome == .formed)
        #expect(p.onsetIndex == 5 && p.onsetStep == 16)
        #expect(p.settleIndex == 8 && p.settleStep == 128)
        #expect(p.phases == [.flat, .flat, .flat, .flat, .flat, .emergent, .emergent, .emergent,
                             .convergent, .convergent, .convergent, .convergent])
        // An early spike that falls back does not count as onset.
        var spiky = clean.map { Optional($0) }
        spiky[2] = 0.5
        #expect(Phases.detect(spiky, steps: steps).onsetIndex == 5)
        // A dead point is skipped.
        var holes = clean.map { Optional($0) }
        holes[6] = nil
        let h = Phases.detect(holes, steps: steps)
        #expect(h.onsetIndex == 5 && h.phases[6] == nil && h.settleIndex == 8)
        // Token-level: high from the start → preformed; noise at 0 → unformed.
        let pre = Phases.detect([Float](repeating: 0.9, count: 12).map { Optional($0) }, steps: steps)
        #expect(pre.outcome == .preformed && pre.phases.allSatisfy { $0 == .convergent })
        let un = Phases.detect((0..<12).map { _ in Optional(0.01 * rng.normal()) }, steps: steps)
        #expect(un.outcome == .unformed && un.phases.allSatisfy { $0 == .flat })
        // A falling curve (a token feature dissolving): 1.0 … then 0.8 from index 9.
        let fall: [Float?] = [1, 1, 1, 1, 1, 1, 1, 1, 0.9, 0.8, 0.8, 0.8]
        let d = Phases.detect(fall, steps: steps)
        #expect(d.outcome == .dissolved && d.onsetIndex == 8 && d.settleIndex == 9)
        // Ground-truth AUROC curve of Docs/Demo.md's "sports words".
        let auc: [Double?] = [0.54, 0.52, 0.87, 0.90, 0.98, 1.0]
        let a = Phases.detect(auc, steps: [0, 8, 16, 32, 180, 600])
        #expect(a.onsetStep == 16 && a.settleStep == 180)
        #expect(Phases.detect([Float?](repeating: nil, count: 3), steps: [0, 1, 2]).outcome == .undefined)
    }

    @Test("semantic labels: one-token feature is token-level, topic feature concept-level, random mixed")
    func semanticLabels() {
        // Vocabulary: 0 = BOS, 1 = "and", 2…9 function words, 100 + 16·topic + w topic words (4 topics),
        // 200…299 filler. Rows 0..<40 are documents of topic r % 4 (function words at odd positions,
        // topic words at even ones); rows 40..<50 are filler.
        let context = 16, rows = 50
        var rng = SeededRandom(seed: 4)
        var tokens = [Int32](repeating: 0, count: rows * context)
        for r in 0..<rows {
            for p in 1..<context {
                tokens[r * context + p] = r >= 40 ? Int32(200 + rng.int(below: 100))
                    : p % 2 == 0 ? Int32(100 + 16 * (r % 4) + rng.int(below: 16)) : Int32(2 + rng.int(below: 8))
            }
            if r < 40 { tokens[r * context + 5] = 1 }           // "and" at position 5 of every document
        }
        // Codes: feature 0 fires on "and", feature 1 on topic-0 words ("sports"),
        // feature 2 on every 13th token wherever it is (arbitrary tokens and rows), feature 3 never.
        var codes = Matrix(rows: rows * context, cols: 4)
        for t in 0..<(rows * context) {
            let id = tokens[t]
            if id == 1 { codes[t, 0] = 1 + Float(t % 7) * 0.01 }
            if id >= 100 && id < 116 { codes[t, 1] = 0.5 + Float(t % 11) * 0.01 }
            if t % 13 == 0 && t % context > 0 { codes[t, 2] = 0.2 + Float(t % 7) * 0.01 }
        }
        var top = TopActivations(features: 4, k: 20)
        top.add(codes: codes, firstToken: 0)
        var evo = SemanticEvolution(features: [0, 1, 2, 3])
        evo.add(step: 0, top: top, tokens: tokens, context: context)
        evo.add(step: 10, top: top, tokens: tokens, context: context)
        let f = evo.checkpoints[0].features
        #expect(f[0].label == .tokenLevel && f[0].modalToken == 1 && f[0].modalShare == 1 && f[0].tokenEntropy == 0)
        #expect(f[1].label == .conceptLevel, "H_tok \(f[1].tokenEntropy) H_ctx \(f[1].contextCoherence)")
        #expect(f[2].label == .mixed, "H_tok \(f[2].tokenEntropy) H_ctx \(f[2].contextCoherence)")
        #expect(f[3].label == .dead && f[3].contexts.isEmpty)
        // Contexts carry what a report needs to render them.
        let c = f[0].contexts[0]
        #expect(c.tokenID == 1 && c.position == 5 && c.token == c.row * context + 5)
        #expect(c.windowStart == 0 && c.window == Array(tokens[(c.row * context)...(c.row * context + 7)]))
        #expect(evo.checkpoints[1].features[0].tokenOverlapWithPrevious == 1)
        #expect(evo.checkpoints[0].features[0].tokenOverlapWithPrevious == nil)
        #expect(evo.labels[1] == [.tokenLevel, .conceptLevel, .mixed, .dead])
    }
}
