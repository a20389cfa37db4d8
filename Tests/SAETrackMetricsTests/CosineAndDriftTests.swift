import Foundation
import Testing
import SAETrackCore
import SAETrackSAE
@testable import SAETrackMetrics

@Suite("Cosine matrices and drift")
struct CosineAndDriftTests {
    @Test("full cosine matrix, row-wise cosine and top-k match numpy (zero row gives 0)")
    func cosineAgainstNumpy() throws {
        let fx = try Fixture("cosine.json")
        let (a, b, a2) = (fx.matrix("a"), fx.matrix("b"), fx.matrix("a2"))
        let full = CosineMatrix.full(a, b)
        #expect(full.rows == 12 && full.cols == 15)
        #expect(maxAbsDiff(full.storage, Fixture.matrix(fx["full"]).storage) < 1e-5)
        #expect(full.row(3).allSatisfy { $0 == 0 })
        #expect(maxAbsDiff(CosineMatrix.rowwise(a, a2), fx.doubles("rowwise")) < 1e-5)

        // Streaming in tiny blocks (2 rows of 15) gives the same matrix.
        var streamed = [Float]()
        var starts = [Int]()
        CosineMatrix.forEachBlock(a, b, maxBlockElements: 30) { rows, block in
            starts.append(rows.lowerBound); streamed += block
        }
        #expect(starts == [0, 2, 4, 6, 8, 10])
        // Equal to rounding: each 2-row block is its own GEMM, and the kernel may sum a product of
        // that shape in another order than the 12-row one (the last bits differ under Prescott).
        #expect(streamed.count == full.storage.count)
        #expect(maxAbsDiff(streamed, full.storage) < 1e-6)

        let k = fx.int("topk_k")
        let top = CosineMatrix.topK(a, b, k: k, maxBlockElements: 45)
        let expectIdx = (fx["topk_indices"] as! [[Int]]).flatMap { $0 }
        // The zero row is all ties at 0: lowest indices first, as numpy's stable argsort.
        #expect(top.indices == expectIdx)
        #expect(maxAbsDiff(top.cosines, Fixture.matrix(fx["topk_values"]).storage) < 1e-5)
    }

    @Test("identical decoders have cosine 1, orthogonal ones 0, negated −1")
    func closedFormCosines() {
        var rng = SeededRandom(seed: 1)
        var m = Matrix(rows: 20, cols: 16)
        m.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        #expect(CosineMatrix.rowwise(m, m).allSatisfy { abs($0 - 1) < 1e-6 })
        var neg = m
        neg.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = -p[i] } }
        #expect(CosineMatrix.rowwise(m, neg).allSatisfy { abs($0 + 1) < 1e-6 })
        // Standard basis e_0..e_7 against e_8..e_15: all orthogonal.
        var e = Matrix(rows: 16, cols: 16)
        for i in 0..<16 { e[i, i] = 1 }
        let c = CosineMatrix.full(e.rows(0..<8), e.rows(8..<16))
        #expect(c.storage.allSatisfy { $0 == 0 })
    }

    @Test("drift histogram (100 bins on [−1, 1]) and median match numpy")
    func histogramAgainstNumpy() throws {
        let fx = try Fixture("cosine.json")
        let (p, q) = (fx.matrix("p"), fx.matrix("q"))
        var drift = Drift(final: q)
        drift.add(step: 7, decoder: p)
        let cp = drift.checkpoints[0]
        #expect(cp.histogramToFinal.counts == fx.ints("pq_hist"))
        #expect(cp.histogramToFinal.counts.reduce(0, +) == 400)
        #expect(abs(Double(cp.medianToFinal!) - fx.double("pq_median")) < 1e-5)
        #expect(cp.histogramToPrevious == nil)
        #expect(maxAbsDiff(cp.quantilesToFinal, fx.doubles("pq_quantiles")) < 1e-5)
        #expect(abs(cp.quantilesToFinal[2] - cp.medianToFinal!) < 1e-6)
        #expect(Histogram([1.0000001, -1, 0.999, .nan], bins: 100).counts[99] == 2)
        #expect(Histogram([1.0000001, -1, 0.999, .nan], bins: 100).skipped == 1)
    }

    @Test("drift of a chain: to final, to previous, dead features masked not counted")
    func driftChainMasksDeadFeatures() {
        var rng = SeededRandom(seed: 9)
        func randomDecoder() -> Matrix {
            var m = Matrix(rows: 6, cols: 5); m.withUnsafeMutableBufferPointer { rng.fillNormal($0) }; return m
        }
        let d0 = randomDecoder(), d1 = randomDecoder(), d2 = randomDecoder()
        var drift = Drift(final: d2, finalAlive: [true, true, true, true, true, false])
        drift.add(step: 0, decoder: d0, alive: [true, false, true, true, true, true])
        drift.add(step: 10, decoder: d1, alive: [true, true, true, false, true, true])
        drift.add(step: 20, decoder: d2, alive: [true, true, true, true, true, false])
        let r = drift.result
        #expect(r.steps == [0, 10, 20])
        let c01 = CosineMatrix.rowwise(d0, d2)
        #expect(r.checkpoints[0].cosineToFinal == [c01[0], nil, c01[2], c01[3], c01[4], nil])
        #expect(r.checkpoints[0].maskedFeatures == 2)
        #expect(r.checkpoints[0].histogramToFinal.counts.reduce(0, +) == 4)
        let c10 = CosineMatrix.rowwise(d1, d0)
        #expect(r.checkpoints[1].cosineToPrevious == [c10[0], nil, c10[2], nil, c10[4], c10[5]])
        // The final checkpoint against itself: 1 for every live feature.
        #expect(r.checkpoints[2].cosineToFinal.compactMap { $0 }.allSatisfy { abs($0 - 1) < 1e-6 })
        #expect(r.checkpoints[2].medianToFinal.map { abs($0 - 1) < 1e-6 } == true)
        #expect(r.curve(feature: 5) == [nil, nil, nil])
        // A NaN decoder row is masked like a dead feature, and the result still encodes to JSON.
        var broken = d0
        broken[2, 0] = .nan
        var d = Drift(final: d2)
        d.add(step: 0, decoder: broken)
        #expect(d.checkpoints[0].cosineToFinal[2] == nil && d.checkpoints[0].maskedFeatures == 1)
        #expect(d.checkpoints[0].medianToFinal!.isFinite)
        #expect((try? JSONEncoder().encode(d.result)) != nil)
        // Drift.analyze over SAEs gives the same numbers.
        func sae(_ dec: Matrix) -> SparseAutoencoder {
            SparseAutoencoder(wEnc: dec.transposed(), bEnc: [Float](repeating: 0, count: 6), wDec: dec,
                              bDec: [Float](repeating: 0, count: 5))
        }
        let viaChain = Drift.analyze(chain: [sae(d0), sae(d1), sae(d2)], steps: [0, 10, 20])
        #expect(viaChain.checkpoints[1].cosineToFinal[3] == CosineMatrix.rowwise(d1, d2)[3])
    }
}
