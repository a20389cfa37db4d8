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
        while symbols.count > 1 {
            var bestRank = Int32.max, bestPos = -1, bestID: Int32 = 0
            for p in 0..<(symbols.count - 1) {
                let key = UInt64(UInt32(bitPattern: symbols[p])) << 32 | UInt64(UInt32(bitPattern: symbols[p + 1]))
                if let m = merges[key], m.rank < bestRank { bestRank = m.rank; bestPos = p; bestID = m.id }
            }
            if bestPos < 0 { break }
            symbols[bestPos] = bestID
            symbols.remove(at: bestPos + 1)
        }
        return symbols
    }
}
