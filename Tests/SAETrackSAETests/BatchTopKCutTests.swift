import Testing
import SAETrackCore
@testable import SAETrackSAE

/// BatchTopK's cut and tie rule (`BatchTopKCut`, shared by `BatchTopKSelection` and the
/// latent-sharded trainer) against a brute-force sort in the order (value ↓, (row, feature) ↑).
struct BatchTopKCutTests {
    struct Entry: Hashable { var value: Float; var row: Int32; var feature: Int32 }

    /// `count` distinct (row, feature) cells of a rows × features grid with values from a few
    /// levels (so many ties), in random order.
    static func candidates(_ rng: inout SeededRandom, count: Int, rows: Int, features: Int, levels: Int) -> [Entry] {
        rng.permutation(rows * features).prefix(count).map { cell in
            Entry(value: Float(1 + rng.int(below: levels)) * 0.25, row: Int32(cell / features), feature: Int32(cell % features))
        }
    }

    /// The first `total` in the order (value ↓, key ↑), by a full sort.
    static func bruteForce(_ entries: [Entry], total: Int) -> Set<Entry> {
        let sorted = entries.sorted {
            $0.value != $1.value ? $0.value > $1.value : (Int64($0.row) << 32 | Int64($0.feature)) < (Int64($1.row) << 32 | Int64($1.feature))
        }
        return Set(sorted.prefix(total))
    }

    static func kept(_ entries: [Entry], total: Int) -> Set<Entry> {
        guard let cut = BatchTopKCut(value: entries.map(\.value), row: entries.map(\.row), feature: entries.map(\.feature),
                                     total: total) else { return Set(entries) }
        return Set(entries.filter { cut.keeps($0.value, row: $0.row, feature: $0.feature) })
    }

    @Test("the cut keeps exactly the brute-force top total, ties to the smallest (row, feature), on random candidates with ties")
    func cutMatchesBruteForce() {
        var rng = SeededRandom(seed: 7)
        var sawTiesAtCut = 0
        for trial in 0..<300 {
            let count = 1 + rng.int(below: 200)
            let levels = 1 + rng.int(below: trial % 3 == 0 ? 2 : 8)
            let entries = Self.candidates(&rng, count: count, rows: 16, features: 20, levels: levels)
            let total = rng.int(below: count + 5)          // also total ≥ count (no cut) and 0
            let expected = Self.bruteForce(entries, total: total)
            #expect(Self.kept(entries, total: total) == expected, "trial \(trial): count \(count), total \(total)")
            if let cut = BatchTopKCut(value: entries.map(\.value), row: entries.map(\.row), feature: entries.map(\.feature), total: total),
               total > 0 {
                #expect(cut.value == expected.map(\.value).min(), "trial \(trial): τ is the smallest kept value")
                if entries.filter({ $0.value == cut.value }).count > expected.filter({ $0.value == cut.value }).count { sawTiesAtCut += 1 }
            }
        }
        #expect(sawTiesAtCut > 50, "too few trials split a tie at the cut: \(sawTiesAtCut)")
    }

    @Test("pruned per-worker lists (any offer order) and per-feature-block lists merge to the brute-force top total")
    func mergedListsMatchBruteForce() {
        var rng = SeededRandom(seed: 11)
        for trial in 0..<100 {
            let entries = Self.candidates(&rng, count: 50 + rng.int(below: 250), rows: 16, features: 30, levels: 1 + rng.int(below: 6))
            let total = 1 + rng.int(below: 60)
            let expected = Self.bruteForce(entries, total: total)
            // One list fed in random order, pruning as it grows (the encoder workers' Candidates).
            var one = BatchTopKSelection.Candidates(total: total)
            for e in entries.shuffled(using: &rng) { one.offer(e.value, row: e.row, feature: e.feature) }
            one.prune()
            let pruned = Set((0..<one.value.count).map { Entry(value: one.value[$0], row: one.row[$0], feature: one.feature[$0]) })
            #expect(pruned == expected, "trial \(trial): one worker")
            // Latent shards (contiguous feature blocks, ragged): each keeps its own top total, the union is cut again.
            let shards = 1 + rng.int(below: 4)
            var union: [Entry] = []
            for s in 0..<shards {
                let (lo, hi) = (Int32(s * 30 / shards), Int32((s + 1) * 30 / shards))
                union += Self.kept(entries.filter { $0.feature >= lo && $0.feature < hi }, total: total)
            }
            #expect(Self.kept(union, total: total) == expected, "trial \(trial): \(shards) shards")
        }
    }
}
