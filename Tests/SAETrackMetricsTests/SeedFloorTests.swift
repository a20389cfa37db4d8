import Foundation
import Testing
import SAETrackCore
@testable import SAETrackMetrics

@Suite("Dictionary MCC and the seed-noise floor")
struct SeedFloorTests {
    @Test("pairwise dictionary MCC and its mean, min and max equal scipy's linear_sum_assignment optimum (dead features left out)")
    func floorAgainstScipy() throws {
        let fx = try Fixture("mcc.json")
        let decoders = (fx["decoders"] as! [Any]).map(Fixture.matrix)
        let alive = fx["alive"] as! [[Bool]]
        let floor = SeedFloor(decoders: decoders, alive: alive)
        let expected = fx["pairs"] as! [[String: Any]]
        #expect(floor.pairs.count == 3 && floor.pairs.map { "\($0.a)-\($0.b)" } == ["0-1", "0-2", "1-2"])
        for (p, e) in zip(floor.pairs, expected) {
            let want = (e["mcc"] as! NSNumber).doubleValue
            #expect(abs(Double(p.mcc!) - want) < 1e-5, "pair \(p.a)-\(p.b): \(p.mcc!) vs scipy \(want)")
            #expect(p.matched == e["matched"] as! Int && p.method == .exactHungarian)
        }
        #expect(abs(Double(floor.mean!) - fx.double("mean")) < 1e-5)
        #expect(abs(Double(floor.min!) - fx.double("min")) < 1e-5 && abs(Double(floor.max!) - fx.double("max")) < 1e-5)
        // The close re-seed (D1 = permuted D0 + noise) is far above the unrelated pair.
        #expect(floor.pairs[0].mcc! > 0.9 && floor.pairs[1].mcc! < 0.6)
        // Without masks every feature counts.
        let allLive = OneToOneMatching(decoders[0], decoders[1])
        #expect(abs(Double(allLive.mcc!) - fx.double("mcc_01_all_live")) < 1e-5 && allLive.matched == 24)
    }

    @Test("MCC is 1 for a permuted copy (any row scale) and symmetric")
    func permutedCopy() {
        var rng = SeededRandom(seed: 7)
        let a = Matrix(rows: 12, cols: 6, storage: (0..<72).map { _ in rng.normal() })
        let order = rng.permutation(12)
        let b = Matrix(rows: 12, cols: 6, storage: order.flatMap { i in a.row(i).map { $0 * Float(1 + i) } })
        let floor = SeedFloor(decoders: [a, b])
        #expect(abs(floor.mean! - 1) < 1e-5 && floor.min == floor.max)
        let ab = OneToOneMatching(a, b).mcc!, ba = OneToOneMatching(b, a).mcc!
        #expect(abs(ab - ba) < 1e-6)
    }
}
