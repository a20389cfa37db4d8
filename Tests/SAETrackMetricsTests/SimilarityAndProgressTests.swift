import Testing
import SAETrackCore
import SAETrackSAE
@testable import SAETrackMetrics

@Suite("Similarity primitive and progress measures")
struct SimilarityAndProgressTests {
    @Test("mean off-diagonal cosine, weighted and binary Jaccard match numpy")
    func similarityAgainstNumpy() throws {
        let fx = try Fixture("similarity.json")
        let v = fx.matrix("sparse")
        #expect(abs(Double(Similarity.meanOffDiagonal(v, .cosine)!) - fx.double("sparse_cos")) < 1e-5)
        #expect(abs(Double(Similarity.meanOffDiagonal(v, .weightedJaccard)!) - fx.double("sparse_wj")) < 1e-5)
        #expect(abs(Double(Similarity.meanOffDiagonal(v, .binaryJaccard)!) - fx.double("sparse_j")) < 1e-5)
        let codes = SparseRows(dense: v)
        #expect(abs(Double(Similarity.meanOffDiagonal(codes, .cosine)!) - fx.double("sparse_cos")) < 1e-5)
        #expect(maxAbsDiff(Similarity.matrix(codes, .weightedJaccard).storage,
                           Fixture.matrix(fx["sparse_wj_matrix"]).storage) < 1e-6)
        #expect(abs(Double(Similarity.meanOffDiagonal(fx.matrix("dense"), .cosine)!) - fx.double("dense_cos")) < 1e-5)
    }

    @Test("closed forms: identical vectors → 1, disjoint supports → 0, fewer than 2 vectors → nil")
    func similarityClosedForms() {
        let same = Matrix([[0, 1.5, 0, 2], [0, 1.5, 0, 2], [0, 1.5, 0, 2]])
        for kind in SimilarityKind.allCases { #expect(abs(Similarity.meanOffDiagonal(same, kind)! - 1) < 1e-6) }
        let disjoint = Matrix([[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 4]])
        for kind in SimilarityKind.allCases { #expect(Similarity.meanOffDiagonal(disjoint, kind)! == 0) }
        // Weighted Jaccard of (1,1) and (1,3): min sum 2, max sum 4 → 0.5; binary → 1.
        let pair = Matrix([[1, 1], [1, 3]])
        #expect(abs(Similarity.meanOffDiagonal(pair, .weightedJaccard)! - 0.5) < 1e-6)
        #expect(abs(Similarity.meanOffDiagonal(pair, .binaryJaccard)! - 1) < 1e-6)
        #expect(Similarity.meanOffDiagonal(Matrix([[1, 2]]), .cosine) == nil)
        // Zero vectors: cosine 0 and Jaccard 0 (the ε keeps 0/0 at 0).
        let zeros = Matrix(rows: 3, cols: 4)
        for kind in SimilarityKind.allCases { #expect(Similarity.meanOffDiagonal(zeros, kind)! == 0) }
    }

    @Test("an entry stored with value 0 is outside the supports: every kind equals the dense rows' value")
    func storedZerosAreNotSupport() {
        // Row 0 = (1, 0, 2, 0) with a stored 0 at column 1; row 1 = (0, 3, 2, 0) with stored 0s at columns 0 and 3.
        let rows = SparseRows(rows: 2, cols: 4, rowStart: [0, 3, 7], index: [0, 1, 2, 0, 1, 2, 3], value: [1, 0, 2, 0, 3, 2, 0])
        for kind in SimilarityKind.allCases {
            #expect(abs(Similarity.meanOffDiagonal(rows, kind)! - Similarity.meanOffDiagonal(rows.dense(), kind)!) < 1e-6, "\(kind)")
        }
        // Supports {0, 2} and {1, 2}: one shared of three.
        #expect(abs(Similarity.meanOffDiagonal(rows, .binaryJaccard)! - 1.0 / 3) < 1e-6)
    }

    @Test("top-25 datapoints under the final SAE and the four progress measures minus baseline match numpy")
    func progressAgainstNumpy() throws {
        let fx = try Fixture("progress.json")
        let finalSAE = fx.sae("final_sae"), ckptSAE = fx.sae("checkpoint_sae")
        let xFinal = fx.matrix("x_final"), xCkpt = fx.matrix("x_checkpoint")
        var top = TopActivations(features: finalSAE.dSAE, k: fx.int("k"))
        top.add(sae: finalSAE, activations: xFinal, batchRows: 37)   // odd batches: streaming must not matter
        let expected = fx["datapoints"] as! [[Int]]
        #expect(top.all.map { $0.map(\.token) } == expected)

        var fromSparse = TopActivations(features: finalSAE.dSAE, k: fx.int("k"))
        fromSparse.add(codes: finalSAE.encode(xFinal.rows(0..<50)), firstToken: 0)
        fromSparse.add(codes: finalSAE.encode(xFinal.rows(50..<xFinal.rows)), firstToken: 50)
        // The same datapoints; activations agree to rounding only: the two paths encode through GEMMs
        // of different shapes (37-row batches against 50-row ones), and a BLAS kernel may order a
        // product's k-sum by the shape, so the last bits can differ (they do under Prescott/Haswell).
        #expect(fromSparse.all.map { $0.map(\.token) } == top.all.map { $0.map(\.token) })
        #expect(maxAbsDiff(fromSparse.all.flatMap { $0.map(\.activation) },
                           top.all.flatMap { $0.map(\.activation) }) < 1e-5)

        let points = FormationDatapoints(top: top, baseline: fx.ints("baseline"))
        #expect(points.dead == fx.ints("dead"))
        let cp = ProgressMeasures.measure(step: 3, representations: points.gather(from: xCkpt), sae: ckptSAE,
                                          datapoints: points)
        let base = fx.object("baseline_values")
        for m in ProgressMeasure.allCases {
            #expect(abs(Double(cp.baseline[m]!) - base.double(m.rawValue)) < 1e-5, "baseline \(m)")
        }
        let progress = fx["progress"] as! [Any]
        var checked = 0
        for (i, f) in points.features.enumerated() {
            guard let p = progress[f] as? [String: Any] else { #expect(cp.progress[i].activationCosine == nil); continue }
            let e = Fixture(object: p)
            for m in ProgressMeasure.allCases {
                #expect(abs(Double(cp.progress[i][m]!) - e.double(m.rawValue)) < 1e-5, "feature \(f) \(m)")
            }
            checked += 1
        }
        #expect(checked >= 30)
        var result = FormationResult(datapoints: points)
        result.checkpoints.append(cp)
        #expect(result.curve(feature: fx.ints("dead")[0], .weightedJaccard) == nil)
        // One checkpoint: no phases can be found, and there is one boundary record per live feature.
        #expect(result.phases(.weightedJaccard).count == points.features.count)
        #expect(result.phases(.weightedJaccard).allSatisfy { $0.outcome == .undefined })
    }

    @Test("top-k ties: equal activations keep the earlier token, independent of batching; zeros never kept")
    func topKTies() {
        // 6 tokens, 2 features. Feature 0: 0.5 at tokens 1, 3, 4 (tie) and 0.9 at 5. Feature 1 never fires.
        let codes = Matrix([[0, 0], [0.5, 0], [0.1, 0], [0.5, 0], [0.5, 0], [0.9, 0]])
        var whole = TopActivations(features: 2, k: 3)
        whole.add(codes: codes, firstToken: 100)
        #expect(whole.top(0).map(\.token) == [105, 101, 103])
        #expect(whole.top(1).isEmpty)
        var reversed = TopActivations(features: 2, k: 3)       // later batch first
        reversed.add(codes: codes.rows(3..<6), firstToken: 103)
        reversed.add(codes: codes.rows(0..<3), firstToken: 100)
        #expect(reversed.top(0) == whole.top(0))
        var wide = TopActivations(features: 2, k: 10)
        wide.add(codes: codes, firstToken: 0)
        #expect(wide.top(0).map(\.token) == [5, 1, 3, 4, 2])   // only the 5 firing tokens
        let points = FormationDatapoints(top: wide, baseline: [0, 2])
        #expect(points.features == [0] && points.dead == [1])
        #expect(points.tokens == [0, 1, 2, 3, 4, 5])
    }

    @Test("random baseline: seeded, distinct rows, positions in range, optional BOS exclusion")
    func randomBaseline() {
        let a = RandomTokenBaseline.sample(rows: 50, context: 16, count: 20, seed: 3)
        #expect(a == RandomTokenBaseline.sample(rows: 50, context: 16, count: 20, seed: 3))
        #expect(a != RandomTokenBaseline.sample(rows: 50, context: 16, count: 20, seed: 4))
        #expect(Set(a.map { $0 / 16 }).count == 20)
        #expect(a.allSatisfy { $0 >= 0 && $0 < 800 })
        let noBOS = RandomTokenBaseline.sample(rows: 50, context: 16, count: 50, seed: 5, excludingPositionZero: true)
        #expect(noBOS.allSatisfy { $0 % 16 != 0 } && noBOS.count == 50)
        #expect(RandomTokenBaseline.sample(rows: 5, context: 4, count: 100, seed: 1).count == 5)
    }

    @Test("firing counts and dead mask")
    func firing() {
        let f = FeatureFiring(codes: Matrix([[0, 1, 0], [0, 2, 3], [0, 0, 0], [0, 1, 0]]))
        #expect(f.counts == [0, 3, 1] && f.dead == [true, false, false] && f.tokens == 4)
        #expect(abs(f.deadFraction - 1.0 / 3) < 1e-12)
    }
}
