import Foundation
import SAETrackIO

/// The synthetic corpus's word-level vocabulary (Docs/Demo.md): BOS, `<unk>`, punctuation,
/// function words, 10 verbs, 10 adjectives (five sharing the suffix "-ful"), the numbers 0–99
/// and 8 topics × 16 topic words. Ids are the positions in `words`.
public struct SyntheticVocabulary: Sendable {
    public static let bos = "<|endoftext|>"
    public static let unknown = "<unk>"
    public static let punctuation = [".", ",", "\"", "(", ")"]
    public static let functionWords = ["the", "a", "this", "that", "every", "some", "and", "is", "says", "it"]
    /// Determiners that open a noun phrase (a subset of the function words).
    public static let determiners = ["the", "a", "this", "that", "every", "some"]
    public static let verbs = ["likes", "sees", "finds", "makes", "takes", "needs", "wants", "keeps", "shows", "brings"]
    /// The first five share the suffix "-ful" (the token-level morpheme family).
    public static let adjectives = ["careful", "hopeful", "joyful", "peaceful", "useful", "big", "small", "new", "old", "quick"]
    public static let topics: [(name: String, words: [String])] = [
        ("sports", ["team", "game", "ball", "player", "coach", "match", "goal", "score", "field", "league", "runner", "race", "tennis", "soccer", "stadium", "medal"]),
        ("weather", ["rain", "snow", "wind", "cloud", "storm", "sun", "fog", "thunder", "frost", "breeze", "heat", "forecast", "sky", "lightning", "drizzle", "hail"]),
        ("food", ["bread", "cheese", "apple", "soup", "rice", "pasta", "salad", "cake", "pepper", "butter", "onion", "garlic", "honey", "noodle", "cookie", "sandwich"]),
        ("music", ["song", "guitar", "piano", "drum", "band", "concert", "melody", "rhythm", "singer", "violin", "chorus", "album", "note", "tune", "jazz", "opera"]),
        ("health", ["doctor", "nurse", "medicine", "hospital", "fever", "vitamin", "patient", "clinic", "therapy", "vaccine", "pill", "injury", "diet", "pulse", "muscle", "symptom"]),
        ("travel", ["train", "airport", "hotel", "ticket", "passport", "luggage", "journey", "map", "tourist", "flight", "beach", "cruise", "suitcase", "border", "station", "tour"]),
        ("finance", ["bank", "money", "stock", "loan", "market", "budget", "price", "tax", "profit", "salary", "credit", "debt", "investor", "coin", "fund", "invoice"]),
        ("school", ["teacher", "student", "lesson", "homework", "exam", "class", "book", "pencil", "library", "grade", "desk", "chalk", "lecture", "essay", "campus", "tutor"]),
    ]

    /// Every token string; the index is the id.
    public let words: [String]
    private let index: [String: Int32]

    public init() {
        var w = [Self.bos, Self.unknown] + Self.punctuation + Self.functionWords + Self.verbs + Self.adjectives
        w += (0..<100).map(String.init)
        for t in Self.topics { w += t.words }
        words = w
        var idx: [String: Int32] = [:]
        for (i, s) in w.enumerated() {
            precondition(idx[s] == nil, "SyntheticVocabulary: duplicate word '\(s)'")
            idx[s] = Int32(i)
        }
        index = idx
    }

    public var count: Int { words.count }
    public var bosID: Int32 { 0 }

    /// The id of `word` (which must be in the vocabulary).
    public func id(_ word: String) -> Int32 {
        guard let i = index[word] else { preconditionFailure("SyntheticVocabulary: no word '\(word)'") }
        return i
    }

    public func ids(_ words: [String]) -> [Int32] { words.map(id) }

    /// Ids of the number tokens "0"…"99".
    public var numberIDs: [Int32] { ids((0..<100).map(String.init)) }

    /// Ids of topic `t`'s 16 words.
    public func topicIDs(_ t: Int) -> [Int32] { ids(Self.topics[t].words) }

    /// A Hugging Face `tokenizer.json` (WordLevel model, WhitespaceSplit pre-tokenizer, no
    /// decoder so decoding joins words with spaces); BOS and `<unk>` are special added tokens.
    /// Written by hand so the bytes are deterministic; `tokenizers` loads it (fixture-verified).
    public func tokenizerJSON() -> String {
        func added(_ id: Int) -> String {
            "    {\"id\": \(id), \"content\": \(JSONFile.quote(words[id])), \"single_word\": false, \"lstrip\": false, "
                + "\"rstrip\": false, \"normalized\": false, \"special\": true}"
        }
        let vocab = words.enumerated().map { "      \(JSONFile.quote($1)): \($0)" }.joined(separator: ",\n")
        return """
        {
          "version": "1.0",
          "truncation": null,
          "padding": null,
          "added_tokens": [
        \(added(0)),
        \(added(1))
          ],
          "normalizer": null,
          "pre_tokenizer": {"type": "WhitespaceSplit"},
          "post_processor": null,
          "decoder": null,
          "model": {
            "type": "WordLevel",
            "vocab": {
        \(vocab)
            },
            "unk_token": \(JSONFile.quote(Self.unknown))
          }
        }

        """
    }
}
