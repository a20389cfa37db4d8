import Foundation
import Testing
@testable import SAETrackLM

/// Fixtures written by Tests/Fixtures/tokenizer/generate.py (Hugging Face `tokenizers`).
private enum TokenizerFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tokenizer")
    static var bpe: URL { directory.appendingPathComponent("bpe") }

    struct Case: Decodable {
        var text: String
        var ids: [Int32]
        var decoded: String
        var decoded_skip_special: String
        var gpt2_ids: [Int32]
        var gpt2_decoded: String
    }
    struct File: Decodable { var vocab_size: Int; var gpt2_vocab_size: Int; var cases: [Case] }

    static func load() throws -> File {
        try JSONDecoder().decode(File.self, from: Data(contentsOf: directory.appendingPathComponent("encodings.json")))
    }
}

@Test("tokenizer.json BPE encodes every fixture text exactly like `tokenizers`")
func tokenizerJSONMatchesHF() throws {
    let fixture = try TokenizerFixtures.load()
    let tok = try Tokenizer(tokenizerJSON: TokenizerFixtures.bpe.appendingPathComponent("tokenizer.json"))
    #expect(tok.vocabSize == fixture.vocab_size)
    #expect(tok.bosTokenID == 0)
    for c in fixture.cases {
        #expect(tok.encode(c.text) == c.ids, "text: \(c.text.debugDescription)")
    }
}

@Test("decode matches `tokenizers` (with and without special tokens) and round-trips NFC text")
func tokenizerDecodeMatchesHF() throws {
    let fixture = try TokenizerFixtures.load()
    let tok = try Tokenizer(tokenizerJSON: TokenizerFixtures.bpe.appendingPathComponent("tokenizer.json"))
    for c in fixture.cases {
        #expect(tok.decode(c.ids) == c.decoded, "text: \(c.text.debugDescription)")
        #expect(tok.decode(c.ids, skipSpecialTokens: true) == c.decoded_skip_special, "text: \(c.text.debugDescription)")
        #expect(tok.decode(tok.encode(c.text)) == c.text.precomposedStringWithCanonicalMapping, "text: \(c.text.debugDescription)")
    }
}

@Test("vocab.json + merges.txt (GPT-2 form) encodes and decodes like `tokenizers`")
func tokenizerGPT2FilesMatchHF() throws {
    let fixture = try TokenizerFixtures.load()
    let tok = try Tokenizer(vocab: TokenizerFixtures.bpe.appendingPathComponent("vocab.json"),
                            merges: TokenizerFixtures.bpe.appendingPathComponent("merges.txt"))
    #expect(tok.vocabSize == fixture.gpt2_vocab_size)
    for c in fixture.cases {
        #expect(tok.encode(c.text) == c.gpt2_ids, "text: \(c.text.debugDescription)")
        #expect(tok.decode(c.gpt2_ids) == c.gpt2_decoded, "text: \(c.text.debugDescription)")
        #expect(tok.decode(c.gpt2_ids) == c.text, "round trip: \(c.text.debugDescription)")
    }
}

@Test("GPT-2 pattern scanner splits whitespace runs, contractions and classes as the regex does")
func tokenizerScannerPieces() {
    func pieces(_ s: String) -> [String] {
        let scalars = Array(s.unicodeScalars)
        return GPT2PreTokenizerScanner.split(scalars).map { r in
            var v = String.UnicodeScalarView(); v.append(contentsOf: scalars[r]); return String(v)
        }
    }
    #expect(pieces("Hello  world") == ["Hello", " ", " world"])
    #expect(pieces("it's 42!!\n\n x") == ["it", "'s", " 42", "!!", "\n\n", " x"])
    #expect(pieces("a\tb   ") == ["a", "\t", "b", "   "])
    // A contraction only matches at a piece start: " 'll" is a space+punctuation piece, then "ll".
    #expect(pieces("?'s 'LL 'll x'll") == ["?'", "s", " '", "LL", " '", "ll", " x", "'ll"])
    #expect(pieces("東京123") == ["東京", "123"])
}

@Test("loading names the file and the problem for malformed input")
func tokenizerErrorsNameTheFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tok-err-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let bad = dir.appendingPathComponent("tokenizer.json")
    try Data(#"{"model": {"type": "Unigram", "vocab": {}}}"#.utf8).write(to: bad)
    #expect(throws: TokenizerError.unsupported(file: bad.path, feature: "model type Unigram")) { try Tokenizer(tokenizerJSON: bad) }
    try Data(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}"#.utf8).write(to: bad)
    #expect(throws: TokenizerError.self) { try Tokenizer(tokenizerJSON: bad) }
    #expect(throws: TokenizerError.self) { try Tokenizer(tokenizerJSON: dir.appendingPathComponent("missing.json")) }
}
