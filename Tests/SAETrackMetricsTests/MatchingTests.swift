import Foundation
import Testing
import SAETrackCore
@testable import SAETrackMetrics

@Suite("Matching of SAEs that are not chained")
struct MatchingTests {
    @Test("max cosine, argmax, MMCS and shared fraction both ways match numpy, with and without dead masks")
    func maxCosineAgainstNumpy() throws {
        let fx = try Fixture("matching.json")
        let (a, b) = (fx.matrix("a"), fx.matrix("b"))
        let aliveA = fx["alive_a"] as! [Bool], aliveB = fx["alive_b"] as! [Bool]
        let threshold = Float(fx.double("threshold"))
        for (key, masks) in [("all", (nil, nil)), ("masked", (aliveA, aliveB))] as [(String, ([Bool]?, [Bool]?))] {
            let e = fx.object(key)
            // Blocks of 3 rows of 40: the streaming reduction must equal the one-shot numpy result.
            let s = Matching.compare(a, b, aliveA: masks.0, aliveB: masks.1, threshold: threshold, maxBlockElements: 120)
            let rowIdx = e.ints("rowIdx"), colIdx = e.ints("colIdx")
            #expect(maxAbsDiff(rowIdx.map { s.maxCosineAToB[$0]! }, e.doubles("rowMax")) < 1e-5)
            #expect(rowIdx.map { s.bestMatchAToB[$0]! } == e.ints("rowArg"))
            #expect(maxAbsDiff(colIdx.map { s.maxCosineBToA[$0]! }, e.doubles("colMax")) < 1e-5)
            #expect(colIdx.map { s.bestMatchBToA[$0]! } == e.ints("colArg"))
            #expect(abs(Double(s.mmcsAToB!) - e.double("mmcsAB")) < 1e-5)
            #expect(abs(Double(s.mmcsBToA!) - e.double("mmcsBA")) < 1e-5)
            #expect(abs(Double(s.sharedFractionAToB!) - e.double("sharedAB")) < 1e-6)
            #expect(abs(Double(s.sharedFractionBToA!) - e.double("sharedBA")) < 1e-6)
            #expect(s.liveA == rowIdx.count && s.liveB == colIdx.count)
        }
        let masked = Matching.compare(a, b, aliveA: aliveA, aliveB: aliveB)
        #expect(masked.maxCosineAToB[2] == nil && masked.maxCosineBToA[39] == nil)
        #expect(!masked.bestMatchAToB.contains(0) && !masked.bestMatchAToB.contains(5))
    }

    @Test("Hungarian total cost equals scipy.optimize.linear_sum_assignment (ties, rectangular both ways)")
    func hungarianAgainstScipy() throws {
        let fx = try Fixture("matching.json")
        let ints = Fixture.matrix(fx["int_costs"])
        let sq = Hungarian.solve(cost: ints.storage, rows: 25, cols: 25)
        #expect(abs(sq.total - fx.double("int_total")) < 1e-9)
        #expect(Set(sq.columnOfRow.compactMap { $0 }).count == 25)
        let rect = Fixture.matrix(fx["rect_costs"])
        let r = Hungarian.solve(cost: rect.storage, rows: 13, cols: 31)
        #expect(abs(r.total - fx.double("rect_total")) < 1e-5)
        let rt = Hungarian.solve(cost: rect.transposed().storage, rows: 31, cols: 13)
        #expect(abs(rt.total - fx.double("rect_t_total")) < 1e-5)
        #expect(rt.columnOfRow.compactMap { $0 }.count == 13)
        // Maximum-cosine one-to-one matching of the live features equals scipy's optimum.
        let (a, b) = (fx.matrix("a"), fx.matrix("b"))
        let aliveA = fx["alive_a"] as! [Bool], aliveB = fx["alive_b"] as! [Bool]
        let ab = OneToOneMatching(a, b, aliveA: aliveA, aliveB: aliveB)
        #expect(ab.method == .exactHungarian)
        #expect(abs(ab.totalCosine - fx.double("lsa_total_ab")) < 1e-4)
        #expect(ab.matched == fx.int("lsa_matched_ab") && ab.unmatchedLiveA == 0)
        let ba = OneToOneMatching(b, a, aliveA: aliveB, aliveB: aliveA)
        #expect(abs(ba.totalCosine - fx.double("lsa_total_ba")) < 1e-4)
        #expect(ba.unmatchedLiveA == 37 - 28)
    }

    @Test("a permuted SAE: exact and greedy matching both recover the permutation with cosine 1")
    func permutationRecovered() {
        var rng = SeededRandom(seed: 11)
        var a = Matrix(rows: 64, cols: 24)
        a.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        let perm = rng.permutation(64)                   // b[perm[i]] = a[i]
        var b = Matrix(rows: 64, cols: 24)
        for i in 0..<64 { for j in 0..<24 { b[perm[i], j] = a[i, j] } }
        let exact = OneToOneMatching(a, b)
        #expect(exact.method == .exactHungarian)
        #expect(exact.partnerOfA.map { $0! } == perm)
        #expect(abs(exact.meanCosine! - 1) < 1e-5 && exact.sharedFraction == 1)
        let greedy = OneToOneMatching(a, b, exactLimit: 16, candidates: 4, maxBlockElements: 640)
        #expect(greedy.method == .greedyTopK && greedy.candidatesPerFeature == 4)
        #expect(greedy.partnerOfA.map { $0! } == perm)
        #expect(greedy.unmatchedLiveA == 0)
        // A NaN row in B (a diverged decoder): whatever BLAS makes of it, no trap, a finite total,
        // and every other feature still recovers its partner.
        var bNaN = b
        bNaN[perm[5], 0] = .nan
        let exactNaN = OneToOneMatching(a, bNaN)
        let greedyNaN = OneToOneMatching(a, bNaN, exactLimit: 16, candidates: 4, maxBlockElements: 640)
        for m in [exactNaN, greedyNaN] {
            #expect(m.totalCosine.isFinite && m.cosine.allSatisfy { $0?.isFinite ?? true })
            #expect(m.partnerOfA[5] == nil || m.partnerOfA[5] == perm[5])
            #expect((0..<64).filter { $0 != 5 }.allSatisfy { m.partnerOfA[$0] == perm[$0] })
        }
        let summary = Matching.compare(a, b)
        #expect(summary.bestMatchAToB.map { $0! } == perm)
        #expect(abs(summary.mmcsAToB! - 1) < 1e-5 && abs(summary.mmcsBToA! - 1) < 1e-5)
    }

    @Test("greedy approximation never beats the exact optimum and is close on random decoders")
    func greedyVersusExact() {
        var rng = SeededRandom(seed: 5)
        var a = Matrix(rows: 120, cols: 16), b = Matrix(rows: 100, cols: 16)
        a.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        b.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        let exact = OneToOneMatching(a, b)
        let greedy = OneToOneMatching(a, b, exactLimit: 50, candidates: 100)
        #expect(exact.matched == 100 && exact.unmatchedLiveA == 20)
        #expect(greedy.totalCosine <= exact.totalCosine + 1e-4)
        #expect(greedy.totalCosine >= 0.5 * exact.totalCosine)
        // Few candidates: one round leaves features whose candidates were taken; more rounds match them.
        let oneRound = OneToOneMatching(a, b, exactLimit: 50, candidates: 3, greedyRounds: 1)
        let rounds = OneToOneMatching(a, b, exactLimit: 50, candidates: 3, greedyRounds: 8)
        #expect(oneRound.unmatchedLiveA > 20 && rounds.matched > oneRound.matched)
        #expect(rounds.matched + rounds.unmatchedLiveA == 120 && rounds.matched == 100)
        #expect(Set(rounds.partnerOfA.compactMap { $0 }).count == rounds.matched)
    }
}
