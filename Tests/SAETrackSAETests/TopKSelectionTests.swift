import Testing
import SAETrackCore
@testable import SAETrackSAE

/// The per-row top-k selector (`TopKRows`, C quickselect with an AVX-512 threshold scan) against
/// a brute-force reference: sort every offer by (value descending, feature id ascending), drop NaN
/// and −∞, keep the first k. Rows see heavy ties, NaN, ±∞, fewer offers than k, and offers split
/// into scans of random lengths mixed with single offers, under the CPU's and the portable form.
struct TopKSelectionTests {
    /// One row's offers, in increasing feature order: (pre, bias) pairs offered by `scan` in runs
    /// of random length, or one by one by `offer` (value pre + bias).
    struct Row {
        var pre: [Float] = [], bias: [Float] = [], single: [Bool] = []
    }

    func makeRow(features n: Int, seed: UInt64) -> Row {
        var rng = SeededRandom(seed: seed)
        var row = Row()
        let levels: [Float] = [-1.5, -0.0, 0.0, 0.25, 0.5, 0.75, 2, 3]      // few levels: many ties
        for _ in 0..<n {
            let u = rng.uniform(0, 1)
            let pre: Float
            switch u {
            case ..<0.03: pre = .nan
            case ..<0.04: pre = -.infinity
            case ..<0.045: pre = .infinity
            case ..<0.6: pre = levels[Int(rng.uniform(0, Float(levels.count) - 0.001))]
            default: pre = rng.uniform(-2, 3)
            }
            row.pre.append(pre)
            row.bias.append(u < 0.6 ? 0 : rng.uniform(-0.5, 0.5))
            row.single.append(rng.uniform(0, 1) < 0.1)
        }
        return row
    }

    /// The reference: first k of (value desc, id asc) among admissible values, then > 0 if asked,
    /// by increasing id.
    func reference(_ row: Row, k: Int, positiveOnly: Bool) -> (index: [Int32], value: [Float]) {
        var offers: [(v: Float, id: Int32)] = []
        for j in row.pre.indices {
            let v = row.pre[j] + row.bias[j]
            if v.isNaN || v == -.infinity { continue }
            offers.append((v, Int32(j)))
        }
        offers.sort { $0.v > $1.v || ($0.v == $1.v && $0.id < $1.id) }
        var kept = Array(offers.prefix(k))
        if positiveOnly { kept = kept.filter { $0.v > 0 } }
        kept.sort { $0.id < $1.id }
        return (kept.map(\.id), kept.map(\.v))
    }

    func select(_ rows: [Row], k: Int, positiveOnly: Bool, seed: UInt64) -> (counts: [Int], index: [Int32], value: [Float]) {
        let selector = TopKRows(rows: rows.count, k: k, positiveOnly: positiveOnly)
        var rng = SeededRandom(seed: seed)
        for (r, row) in rows.enumerated() {
            var j = 0
            while j < row.pre.count {
                if row.single[j] {
                    selector.offer(r, row.pre[j] + row.bias[j], Int32(j)); j += 1; continue
                }
                let run = min(row.pre.count - j, 1 + Int(rng.uniform(0, 300)))
                row.pre.withUnsafeBufferPointer { p in row.bias.withUnsafeBufferPointer { b in
                    selector.scan(r, pre: p.baseAddress! + j, bias: b.baseAddress! + j, first: j, count: run)
                } }
                j += run
            }
        }
        return selector.sortedByIndex()
    }

    @Test("TopKRows keeps exactly the brute-force first k (ties to the smaller id, NaN and −∞ never), native and portable",
          arguments: SIMDMath.KernelForm.allCases)
    func matchesBruteForce(form: SIMDMath.KernelForm) {
        let rows = (0..<7).map { makeRow(features: [3000, 2500, 40, 0, 777, 3000, 1][$0], seed: 100 + UInt64($0)) }
        for k in [1, 5, 64, 200] {
            for positiveOnly in [false, true] {
                let got = SIMDMath.withKernelForm(form) { select(rows, k: k, positiveOnly: positiveOnly, seed: UInt64(k)) }
                var start = 0
                for (r, row) in rows.enumerated() {
                    let want = reference(row, k: k, positiveOnly: positiveOnly)
                    let n = got.counts[r]
                    let index = Array(got.index[start..<start + n]), value = Array(got.value[start..<start + n])
                    start += n
                    #expect(index == want.index, "k \(k) row \(r) positiveOnly \(positiveOnly): kept ids differ")
                    #expect(value.map(\.bitPattern) == want.value.map(\.bitPattern),
                            "k \(k) row \(r) positiveOnly \(positiveOnly): kept values differ")
                }
                #expect(start == got.index.count)
            }
        }
    }

    @Test("A NaN at the end of a lane's run does not raise the first scan's lower bound (k 64 = 16 lanes × 4 runs)",
          arguments: SIMDMath.KernelForm.allCases)
    func nanDoesNotRaiseTheBound(form: SIMDMath.KernelForm) {
        // 128 features, k 64: the bound is the minimum over 64 lane-wise run maxima. Every run holds
        // (2, 0.1) except lane 0's first, which holds (0.5, NaN): the true 64th value is that 0.5.
        var row = Row()
        row.pre = (0..<128).map { j in j == 0 ? 0.5 : j == 16 ? .nan : (j / 16) % 2 == 0 ? 2 : 0.1 }
        row.bias = [Float](repeating: 0, count: 128)
        let selector = TopKRows(rows: 1, k: 64, positiveOnly: false)
        let got = SIMDMath.withKernelForm(form) { () -> (counts: [Int], index: [Int32], value: [Float]) in
            row.pre.withUnsafeBufferPointer { p in row.bias.withUnsafeBufferPointer { b in
                selector.scan(0, pre: p.baseAddress!, bias: b.baseAddress!, first: 0, count: 128)
            } }
            return selector.sortedByIndex()
        }
        let want = reference(row, k: 64, positiveOnly: false)
        #expect(got.index == want.index && got.value == want.value, "kept \(got.index.count): \(got.index.prefix(3))")
    }

    @Test("Positive-only rows refuse offers ≤ 0 from the start and still keep the positive ones of their k first: 0, k − 1, k, k + 1 and 3k positive offers among many negative ones, zeros and −0",
          arguments: SIMDMath.KernelForm.allCases)
    func positiveOnlyFloor(form: SIMDMath.KernelForm) {
        let (k, n) = (64, 4096)
        var rng = SeededRandom(seed: 77)
        var rows: [Row] = []
        for positives in [0, k - 1, k, k + 1, 3 * k] {
            var row = Row()
            // Negative values, with ties, far more numerous than k; then `positives` positive values
            // (ties among them too) at random places, the last one near the end.
            row.pre = (0..<n).map { _ in
                rng.uniform(0, 1) < 0.5 ? [-0.0, 0.0, -0.25, -1][Int(rng.uniform(0, 3.999))] : rng.uniform(-2, -0.001)
            }
            var slots = Array(0..<n)
            for t in 0..<positives {
                let pick = t == 0 ? n - 1 - Int(rng.uniform(0, 8)) : Int(rng.uniform(0, Float(slots.count) - 0.001))
                let slot = slots.firstIndex(of: pick) ?? Int(rng.uniform(0, Float(slots.count) - 0.001))
                row.pre[slots.remove(at: slot)] = [0.5, 1, 2][t % 3] + (t % 5 == 0 ? 0 : rng.uniform(0, 1))
            }
            row.bias = [Float](repeating: 0, count: n)
            row.single = [Bool](repeating: false, count: n)
            rows.append(row)
        }
        // Offered as the feature-block encoder does: blocks of 1,024 features, every row per block.
        let selector = TopKRows(rows: rows.count, k: k, positiveOnly: true)
        let got = SIMDMath.withKernelForm(form) { () -> (counts: [Int], index: [Int32], value: [Float]) in
            for n0 in stride(from: 0, to: n, by: 1024) {
                for (r, row) in rows.enumerated() {
                    row.pre.withUnsafeBufferPointer { p in row.bias.withUnsafeBufferPointer { b in
                        selector.scan(r, pre: p.baseAddress! + n0, bias: b.baseAddress! + n0, first: n0, count: min(1024, n - n0))
                    } }
                }
            }
            return selector.sortedByIndex()
        }
        var start = 0
        for (r, row) in rows.enumerated() {
            let want = reference(row, k: k, positiveOnly: true)
            let c = got.counts[r]
            #expect(c == min(k, [0, k - 1, k, k + 1, 3 * k][r]), "row \(r): kept \(c)")
            #expect(Array(got.index[start..<start + c]) == want.index, "row \(r): kept ids differ")
            #expect(Array(got.value[start..<start + c]).map(\.bitPattern) == want.value.map(\.bitPattern), "row \(r): kept values differ")
            start += c
        }
    }

    @Test("A reset selector forgets its rows")
    func resetForgets() {
        let row = makeRow(features: 500, seed: 9)
        let selector = TopKRows(rows: 1, k: 8, positiveOnly: false)
        row.pre.withUnsafeBufferPointer { p in row.bias.withUnsafeBufferPointer { b in
            selector.scan(0, pre: p.baseAddress!, bias: b.baseAddress!, first: 0, count: 500)
        } }
        selector.reset()
        selector.offer(0, -3, 4)
        let got = selector.sortedByIndex()
        #expect(got.counts == [1] && got.index == [4] && got.value == [-3])
    }
}
