import Foundation

/// A byte-pair-encoding model: a vocabulary and ranked merges. A word is split into its
/// characters, then the adjacent pair with the lowest merge rank (leftmost on ties) is merged
/// until no ranked pair remains — the order Hugging Face `tokenizers` applies them in.
final class BPEModel: @unchecked Sendable {
    let vocab: [String: Int32]
    /// (left id << 32 | right id) → (rank, merged id).
    private let merges: [UInt64: (rank: Int32, id: Int32)]
    let unknownID: Int32?
    /// When set, a word already in the vocabulary is returned whole (`ignore_merges`).
    let ignoreMerges: Bool
    private var cache: [String: [Int32]] = [:]
    private let cacheLock = NSLock()
    private static let cacheCapacity = 200_000

    /// `merges` are (left, right) token strings in rank order; `file` names the source in errors.
    init(vocab: [String: Int32], merges: [(String, String)], unknownToken: String?, ignoreMerges: Bool, file: String) throws {
        self.vocab = vocab
        var table: [UInt64: (rank: Int32, id: Int32)] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            guard let ia = vocab[a], let ib = vocab[b] else {
                throw TokenizerError.malformed(file: file, reason: "merge \(rank) '\(a) \(b)' uses a token missing from the vocabulary")
            }
            guard let merged = vocab[a + b] else {
                throw TokenizerError.malformed(file: file, reason: "merge \(rank) '\(a) \(b)' produces '\(a + b)', missing from the vocabulary")
            }
            let key = UInt64(UInt32(bitPattern: ia)) << 32 | UInt64(UInt32(bitPattern: ib))
            if table[key] == nil { table[key] = (Int32(rank), merged) }
        }
        self.merges = table
        if let unknownToken {
            guard let id = vocab[unknownToken] else {
                throw TokenizerError.malformed(file: file, reason: "unk_token '\(unknownToken)' is not in the vocabulary")
            }
            unknownID = id
        } else {
            unknownID = nil
        }
        self.ignoreMerges = ignoreMerges
    }

    /// The token ids of one pre-tokenised word (cached).
    func tokenize(_ word: String, into out: inout [Int32]) {
        cacheLock.lock()
        let hit = cache[word]
        cacheLock.unlock()
        if let hit { out.append(contentsOf: hit); return }
        let ids = merge(word)
        cacheLock.lock()
        if cache.count >= Self.cacheCapacity { cache.removeAll(keepingCapacity: true) }
        cache[word] = ids
        cacheLock.unlock()
        out.append(contentsOf: ids)
    }

    private func merge(_ word: String) -> [Int32] {
        if ignoreMerges, let id = vocab[word] { return [id] }
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.unicodeScalars.count)
        for s in word.unicodeScalars {
            if let id = vocab[String(s)] {
                symbols.append(id)
            } else if let unk = unknownID {
                symbols.append(unk)   // consecutive unknowns are not fused (fuse_unk is rejected at load)
            }
        }
        if symbols.count > Self.longWord { return mergeLong(symbols) }
        while symbols.count > 1 {
            var bestRank = Int32.max, bestPos = -1, bestID: Int32 = 0
            for p in 0..<(symbols.count - 1) {
                if let m = merges[Self.key(symbols[p], symbols[p + 1])], m.rank < bestRank { bestRank = m.rank; bestPos = p; bestID = m.id }
            }
            if bestPos < 0 { break }
            symbols[bestPos] = bestID
            symbols.remove(at: bestPos + 1)
        }
        return symbols
    }

    /// Words longer than this use the O(n log n) heap merge instead of the O(n²) scan.
    static let longWord = 48

    @inline(__always)
    private static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    /// The same merge order for long words (e.g. a base64 blob): a min-heap of candidate pairs
    /// keyed by (rank, position) over a linked list of symbols; stale entries are skipped.
    private func mergeLong(_ initial: [Int32]) -> [Int32] {
        var ids = initial
        let n = ids.count
        var next = Array(1...n)            // n = end
        var prev = Array(-1..<(n - 1))
        var alive = [Bool](repeating: true, count: n)
        var heap = PairHeap()
        for p in 0..<(n - 1) {
            if let m = merges[Self.key(ids[p], ids[p + 1])] { heap.push(.init(rank: m.rank, pos: p, left: ids[p], right: ids[p + 1])) }
        }
        while let top = heap.pop() {
            let p = top.pos
            guard alive[p], ids[p] == top.left else { continue }
            let q = next[p]
            guard q < n, ids[q] == top.right, let m = merges[Self.key(top.left, top.right)] else { continue }
            ids[p] = m.id
            alive[q] = false
            next[p] = next[q]
            if next[q] < n { prev[next[q]] = p }
            if prev[p] >= 0, let l = merges[Self.key(ids[prev[p]], ids[p])] {
                heap.push(.init(rank: l.rank, pos: prev[p], left: ids[prev[p]], right: ids[p]))
            }
            if next[p] < n, let r = merges[Self.key(ids[p], ids[next[p]])] {
                heap.push(.init(rank: r.rank, pos: p, left: ids[p], right: ids[next[p]]))
            }
        }
        var out: [Int32] = []
        var p = 0
        while p < n { out.append(ids[p]); p = next[p] }
        return out
    }
}

/// A binary min-heap of merge candidates ordered by (rank, position).
struct PairHeap {
    struct Entry {
        var rank: Int32
        var pos: Int
        var left: Int32
        var right: Int32
        @inline(__always) func less(_ o: Entry) -> Bool { rank != o.rank ? rank < o.rank : pos < o.pos }
    }

    private var items: [Entry] = []

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].less(items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Entry? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l].less(items[m]) { m = l }
                if r < items.count && items[r].less(items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
