import Foundation
import SAETrackCore

/// Text or JSONL in, packed token file out (`saetrack tokenize`): documents are read in batches,
/// encoded in parallel, packed in order (`TokenPacker`, Docs/Method.md §2.4) and streamed to disk
/// (`TokenFileWriter`). The partial last row is dropped, as SAELens drops leftovers.
public struct TokenFileBuilder {
    /// Counts reported while running and at the end.
    public struct Progress: Sendable {
        public var documents = 0
        public var tokens = 0
        public var rows = 0
        public var bytesRead = 0
        public var seconds = 0.0
        /// Tokens of the partial last row that were dropped (final report only).
        public var droppedTokens = 0
    }

    public let tokenizer: Tokenizer
    public let context: Int
    /// Prepended to each document and to each continuation row; nil packs without BOS.
    public let bosTokenID: Int32?
    /// Stop once this many rows are written.
    public let maxRows: Int?
    /// Truncate each document (BOS included) to this many tokens, like `to_tokens(truncate=True)`.
    public let maxDocumentTokens: Int?
    /// Documents encoded per parallel batch.
    public var batchSize = 512

    public init(tokenizer: Tokenizer, context: Int, bosTokenID: Int32?, maxRows: Int? = nil, maxDocumentTokens: Int? = nil) {
        self.tokenizer = tokenizer; self.context = context; self.bosTokenID = bosTokenID
        self.maxRows = maxRows; self.maxDocumentTokens = maxDocumentTokens
    }

    /// Tokenises `reader`'s documents into `output`; `progress` is called about twice a second.
    @discardableResult
    public func build(from reader: inout DocumentReader, to output: URL, metadata: [String: String] = [:],
                      progress: ((Progress) -> Void)? = nil) throws -> Progress {
        guard context > 1 else { throw TokenDataError.invalidArgument("context must be at least 2 (got \(context))") }
        let writer = try TokenFileWriter(url: output, context: context)
        var packer = TokenPacker(context: context, bosTokenID: bosTokenID, maxDocumentTokens: maxDocumentTokens)
        var stats = Progress()
        let start = Date()
        var lastReport = start
        var done = false
        while !done {
            var texts: [String] = []
            texts.reserveCapacity(batchSize)
            while texts.count < batchSize, let doc = try reader.next() { texts.append(doc) }
            if texts.isEmpty { break }
            let encoded = encodeParallel(texts)
            for ids in encoded {
                stats.documents += 1
                stats.tokens += ids.count
                try packer.add(document: ids) { row in
                    if done { return }
                    try writer.append(row: row)
                    if let maxRows, writer.rows >= maxRows { done = true }
                }
                if done { break }
            }
            stats.rows = writer.rows
            stats.bytesRead = reader.bytesRead
            let now = Date()
            if let progress, now.timeIntervalSince(lastReport) >= 0.5 {
                stats.seconds = now.timeIntervalSince(start)
                progress(stats)
                lastReport = now
            }
        }
        stats.droppedTokens = done ? 0 : packer.finish().count
        var meta = metadata
        meta["tokenizer"] = meta["tokenizer"] ?? tokenizer.source
        meta["context"] = String(context)
        meta["bos_token_id"] = bosTokenID.map { String($0) } ?? "none"
        meta["documents"] = String(stats.documents)
        meta["packing"] = "Docs/Method.md 2.4: BOS per document and per continuation row; partial last row dropped"
        try writer.finish(metadata: meta)
        stats.rows = writer.rows
        stats.seconds = Date().timeIntervalSince(start)
        progress?(stats)
        return stats
    }

    /// The ids of each text, in order, encoded on ``Threads/count`` threads.
    private func encodeParallel(_ texts: [String]) -> [[Int32]] {
        var results = [[Int32]](repeating: [], count: texts.count)
        results.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            Parallel.forEachChunk(texts.count, minChunk: 16) { range in
                for i in range { (base + i).pointee = tokenizer.encode(texts[i]) }
            }
        }
        return results
    }
}
