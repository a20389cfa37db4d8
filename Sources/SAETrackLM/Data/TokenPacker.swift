/// Packs documents into fixed-length rows as SAELens's activation store does (Docs/Method.md §2.4):
///
/// - each document starts with BOS (prepended unless its first token already is BOS), and is
///   optionally truncated to `maxDocumentTokens` first (`to_tokens(truncate=True)` → n_ctx);
/// - documents are concatenated into rows of `context`;
/// - a document that overflows a row continues in the next row, with BOS prepended if its first
///   remaining token is not already BOS;
/// - whatever is left in the last, partial row at the end is handed back by `finish`; callers
///   drop it (the default everywhere in SAETrack) or pad it.
///
/// Generic over the element so a corpus can carry per-token labels through packing; `isBOS`
/// and `makeBOS` say what a BOS element is.
public struct RowPacker<Element> {
    public let context: Int
    public let maxDocumentTokens: Int?
    private let isBOS: (Element) -> Bool
    private let makeBOS: (() -> Element)?
    /// The row being filled (count < context between calls).
    public private(set) var pending: [Element] = []
    /// Rows emitted so far.
    public private(set) var rowsEmitted = 0

    /// `makeBOS` nil packs without any BOS (documents simply concatenated and cut).
    public init(context: Int, maxDocumentTokens: Int? = nil, isBOS: @escaping (Element) -> Bool, makeBOS: (() -> Element)?) {
        precondition(context > 1, "RowPacker: context must be at least 2")
        self.context = context
        self.maxDocumentTokens = maxDocumentTokens
        self.isBOS = isBOS
        self.makeBOS = makeBOS
        pending.reserveCapacity(context)
    }

    /// Adds one document (without its BOS); `emit` receives each completed row (count == context).
    public mutating func add<C: Collection>(document: C, emit: ([Element]) throws -> Void) rethrows where C.Element == Element {
        var doc = Array(document)
        if let makeBOS, doc.first.map(isBOS) != true { doc.insert(makeBOS(), at: 0) }
        if let limit = maxDocumentTokens, doc.count > limit { doc.removeLast(doc.count - limit) }
        var start = 0
        while start < doc.count {
            let take = min(context - pending.count, doc.count - start)
            pending.append(contentsOf: doc[start..<(start + take)])
            start += take
            if pending.count == context {
                try emit(pending)
                rowsEmitted += 1
                pending.removeAll(keepingCapacity: true)
                // The document continues in the next row: it starts with BOS again.
                if start < doc.count, let makeBOS, !isBOS(doc[start]) { pending.append(makeBOS()) }
            }
        }
    }

    /// The partial last row (possibly empty); the packer is reset.
    public mutating func finish() -> [Element] {
        defer { pending.removeAll(keepingCapacity: true) }
        return pending
    }
}

/// Packing of plain token ids.
public typealias TokenPacker = RowPacker<Int32>

extension RowPacker where Element == Int32 {
    /// A token packer; `bosTokenID` nil packs without BOS.
    public init(context: Int, bosTokenID: Int32?, maxDocumentTokens: Int? = nil) {
        self.init(context: context, maxDocumentTokens: maxDocumentTokens, isBOS: { $0 == bosTokenID },
                  makeBOS: bosTokenID.map { id in { id } })
    }
}
