import Foundation
import SAETrackIO

/// A Hugging Face compatible tokenizer: byte-level BPE (GPT-2, Pythia) or word-level, loaded
/// from a `tokenizer.json` or from GPT-2's `vocab.json` + `merges.txt`.
///
/// Encoding follows `tokenizers`: added tokens are cut out of the raw text (those marked
/// `normalized` out of the normalised text), the rest is normalised, pre-tokenised into words and
/// each word run through the model. `encode` adds no special tokens (`add_special_tokens=False`);
/// packing prepends BOS itself (`TokenPacker`). Thread-safe: `encode` may be called concurrently.
public final class Tokenizer: @unchecked Sendable {
    enum Model {
        case bpe(BPEModel)
        case wordLevel(WordLevelModel)
    }

    let model: Model
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let decoder: TokenDecoder
    let addedTokens: [AddedToken]
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    private let idToToken: [String?]
    private let specialIDs: Set<Int32>
    private let tokenToID: [String: Int32]

    /// Number of ids (largest id + 1, over the model vocabulary and the added tokens).
    public let vocabSize: Int
    /// The id prepended to every document when packing: `<|endoftext|>` (GPT-2, Pythia), or
    /// another conventional BOS name found in the vocabulary; nil when none is. Settable.
    public var bosTokenID: Int32?
    /// Where the tokenizer was loaded from (recorded in token files).
    public let source: String

    init(model: Model, normalizer: Normalizer?, preTokenizer: PreTokenizer?, decoder: TokenDecoder, addedTokens: [AddedToken], source: String) {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.decoder = decoder
        self.addedTokens = addedTokens
        self.source = source
        rawMatcher = AddedTokenMatcher(addedTokens.filter { !$0.normalized })
        normalizedMatcher = AddedTokenMatcher(addedTokens.filter { $0.normalized })
        var vocab: [String: Int32]
        switch model {
        case let .bpe(m): vocab = m.vocab
        case let .wordLevel(m): vocab = m.vocab
        }
        for t in addedTokens { vocab[t.content] = t.id }
        tokenToID = vocab
        let size = Int((vocab.values.max() ?? -1) + 1)
        vocabSize = size
        var names = [String?](repeating: nil, count: size)
        for (token, id) in vocab where id >= 0 { names[Int(id)] = token }
        for t in addedTokens { names[Int(t.id)] = t.content }
        idToToken = names
        specialIDs = Set(addedTokens.filter(\.special).map(\.id))
        bosTokenID = ["<|endoftext|>", "<|bos|>", "<bos>", "<s>", "[BOS]", "<|begin_of_text|>"].lazy.compactMap { vocab[$0] }.first
    }

    /// Loads a Hugging Face `tokenizer.json` (models `BPE` and `WordLevel`).
    public convenience init(tokenizerJSON url: URL) throws {
        let file = url.path
        let root = try Self.readJSONObject(url)
        guard let modelJSON = root["model"] as? [String: Any] else {
            throw TokenizerError.malformed(file: file, reason: "no \"model\" object")
        }
        let added = try (root["added_tokens"] as? [[String: Any]] ?? []).map { try AddedToken(json: $0, file: file) }
        let normalizer = try (root["normalizer"] as? [String: Any]).map { try Normalizer(json: $0, file: file) }
        let pre = try (root["pre_tokenizer"] as? [String: Any]).map { try PreTokenizer(json: $0, file: file) }
        let decoder = try TokenDecoder(json: root["decoder"] as? [String: Any], file: file)
        let type = modelJSON["type"] as? String ?? (modelJSON["merges"] != nil ? "BPE" : "WordLevel")
        guard let vocabJSON = modelJSON["vocab"] as? [String: Any] else {
            throw TokenizerError.malformed(file: file, reason: "model has no \"vocab\" object")
        }
        let vocab = try Self.vocabulary(vocabJSON, file: file)
        let unk = modelJSON["unk_token"] as? String
        let model: Model
        switch type {
        case "BPE":
            for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
                if let v = modelJSON[key] as? String, !v.isEmpty { throw TokenizerError.unsupported(file: file, feature: "BPE \(key) '\(v)'") }
            }
            if modelJSON["byte_fallback"] as? Bool == true { throw TokenizerError.unsupported(file: file, feature: "BPE byte_fallback") }
            if modelJSON["fuse_unk"] as? Bool == true { throw TokenizerError.unsupported(file: file, feature: "BPE fuse_unk") }
            if let dropout = modelJSON["dropout"] as? Double, dropout > 0 { throw TokenizerError.unsupported(file: file, feature: "BPE dropout") }
            let merges = try Self.merges(modelJSON["merges"], file: file)
            model = .bpe(try BPEModel(vocab: vocab, merges: merges, unknownToken: unk, ignoreMerges: modelJSON["ignore_merges"] as? Bool ?? false, file: file))
        case "WordLevel":
            model = .wordLevel(WordLevelModel(vocab: vocab, unknownID: unk.flatMap { vocab[$0] }))
        default:
            throw TokenizerError.unsupported(file: file, feature: "model type \(type)")
        }
        self.init(model: model, normalizer: normalizer, preTokenizer: pre, decoder: decoder, addedTokens: added, source: file)
    }

    /// Loads GPT-2's `vocab.json` + `merges.txt`: byte-level pre-tokenizer without prefix space,
    /// byte-level decoder, and `<|endoftext|>` (when in the vocabulary) as a special token.
    public convenience init(vocab vocabURL: URL, merges mergesURL: URL) throws {
        let vocab = try Self.vocabulary(try Self.readJSONObject(vocabURL), file: vocabURL.path)
        let text: String
        do { text = try String(contentsOf: mergesURL, encoding: .utf8) } catch {
            throw TokenizerError.unreadable(file: mergesURL.path, reason: SystemErrorText.describe(error))
        }
        var merges: [(String, String)] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let l = line.hasSuffix("\r") ? line.dropLast() : line
            if l.isEmpty || (n == 0 && l.hasPrefix("#version")) { continue }
            let parts = l.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw TokenizerError.malformed(file: mergesURL.path, reason: "line \(n + 1) is not two space-separated tokens: '\(l)'")
            }
            merges.append((String(parts[0]), String(parts[1])))
        }
        let model = try BPEModel(vocab: vocab, merges: merges, unknownToken: nil, ignoreMerges: false, file: mergesURL.path)
        let added = vocab["<|endoftext|>"].map { [AddedToken(id: $0, content: "<|endoftext|>", special: true, normalized: false)] } ?? []
        self.init(model: .bpe(model), normalizer: nil, preTokenizer: .byteLevel(addPrefixSpace: false, useRegex: true),
                  decoder: .byteLevel, addedTokens: added, source: vocabURL.path)
    }

    /// Loads `url` as a `tokenizer.json`, or, when `url` is a directory, the `tokenizer.json` in it
    /// or else its `vocab.json` + `merges.txt`.
    public static func load(from url: URL) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw TokenizerError.unreadable(file: url.path, reason: "no such file or directory")
        }
        guard isDirectory.boolValue else {
            if url.lastPathComponent == "vocab.json" {
                return try Tokenizer(vocab: url, merges: url.deletingLastPathComponent().appendingPathComponent("merges.txt"))
            }
            return try Tokenizer(tokenizerJSON: url)
        }
        let json = url.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: json.path) { return try Tokenizer(tokenizerJSON: json) }
        return try Tokenizer(vocab: url.appendingPathComponent("vocab.json"), merges: url.appendingPathComponent("merges.txt"))
    }

    // MARK: - Encoding and decoding

    /// The ids of `text`, without special tokens added around it.
    public func encode(_ text: String) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(text.utf8.count / 3 + 4)
        for segment in rawMatcher.segments(text) {
            switch segment {
            case let .token(id): out.append(id)
            case let .text(raw):
                let normalized = normalizer?.apply(raw) ?? raw
                for piece in normalizedMatcher.segments(normalized) {
                    switch piece {
                    case let .token(id): out.append(id)
                    case let .text(t): encodeWords(t, into: &out)
                    }
                }
            }
        }
        return out
    }

    private func encodeWords(_ text: String, into out: inout [Int32]) {
        let words = preTokenizer?.split(text) ?? [text]
        switch model {
        case let .bpe(m): for w in words { m.tokenize(w, into: &out) }
        case let .wordLevel(m): for w in words { m.tokenize(w, into: &out) }
        }
    }

    /// The text of `ids`; unknown ids are skipped, special tokens kept unless `skipSpecialTokens`.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids where id >= 0 && Int(id) < idToToken.count {
            if skipSpecialTokens && specialIDs.contains(id) { continue }
            if let t = idToToken[Int(id)] { tokens.append(t) }
        }
        return decoder.decode(tokens)
    }

    /// The vocabulary string of `id` (byte-level form for BPE), or nil.
    public func token(for id: Int32) -> String? {
        id >= 0 && Int(id) < idToToken.count ? idToToken[Int(id)] : nil
    }

    /// The id of the vocabulary string `token`, or nil.
    public func id(for token: String) -> Int32? { tokenToID[token] }

    // MARK: - Loading helpers

    private static func readJSONObject(_ url: URL) throws -> [String: Any] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.unreadable(file: url.path, reason: SystemErrorText.describe(error))
        }
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TokenizerError.malformed(file: url.path, reason: "top level is not a JSON object")
            }
            return object
        } catch let e as TokenizerError { throw e } catch {
            throw TokenizerError.malformed(file: url.path, reason: "invalid JSON: \(SystemErrorText.describe(error))")
        }
    }

    private static func vocabulary(_ json: [String: Any], file: String) throws -> [String: Int32] {
        var vocab: [String: Int32] = [:]
        vocab.reserveCapacity(json.count)
        for (token, value) in json {
            guard let id = value as? Int, id >= 0 else {
                throw TokenizerError.malformed(file: file, reason: "vocabulary entry '\(token)' has no non-negative integer id")
            }
            vocab[token] = Int32(id)
        }
        return vocab
    }

    /// Merges as `"a b"` strings or `["a", "b"]` pairs.
    private static func merges(_ json: Any?, file: String) throws -> [(String, String)] {
        guard let list = json as? [Any] else { throw TokenizerError.malformed(file: file, reason: "BPE model has no \"merges\" list") }
        return try list.enumerated().map { n, item in
            if let s = item as? String {
                guard let space = s.firstIndex(of: " ") else {
                    throw TokenizerError.malformed(file: file, reason: "merge \(n) '\(s)' has no space")
                }
                return (String(s[..<space]), String(s[s.index(after: space)...]))
            }
            if let pair = item as? [String], pair.count == 2 { return (pair[0], pair[1]) }
            throw TokenizerError.malformed(file: file, reason: "merge \(n) is neither \"a b\" nor [\"a\", \"b\"]")
        }
    }
}
