import Foundation
import SAETrackIO
import Testing
@testable import SAETrackLM

private let corpusFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/corpus")

private func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-corpus-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// One moderately large corpus shared by the alignment and frequency tests (~1.5M tokens).
private let testCorpus: SyntheticCorpusOutput = try! SyntheticCorpus(config: SyntheticCorpusConfig(documents: 20_000), seed: 3).generate()

@Test("same seed → byte-identical files; another seed → other tokens")
func corpusDeterministic() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cfg = SyntheticCorpusConfig(documents: 300)
    for name in ["a", "b"] { try SyntheticCorpus(config: cfg, seed: 11).generate().write(to: dir.appendingPathComponent(name)) }
    for file in ["tokens.safetensors", "labels.safetensors", "features.json", "tokenizer.json"] {
        let a = try Data(contentsOf: dir.appendingPathComponent("a/\(file)"))
        let b = try Data(contentsOf: dir.appendingPathComponent("b/\(file)"))
        #expect(a == b && !a.isEmpty, "\(file)")
    }
    let other = try SyntheticCorpus(config: cfg, seed: 12).generate()
    let first = try TokenDataset(contentsOf: dir.appendingPathComponent("a/tokens.safetensors"))
    #expect(other.tokens.tokens != first.tokens)
    // What was written reads back: tokens, every label, the manifest.
    let labels = try SafetensorsFile(contentsOf: dir.appendingPathComponent("a/labels.safetensors"))
    let again = try SyntheticCorpus(config: cfg, seed: 11).generate()
    #expect(first.tokens == again.tokens.tokens && first.metadata["bos_token_id"] == "0")
    for f in again.features { #expect(try [UInt8](labels.rawBytes(f.name)) == again.label(f.name)!, "\(f.name)")
        #expect(labels.info(f.name)?.dtype == .u8 && labels.info(f.name)?.shape == [first.rows, first.context]) }
    let manifest = try JSONDecoder().decode(SyntheticCorpusOutput.Manifest.self,
                                            from: Data(contentsOf: dir.appendingPathComponent("a/features.json")))
    #expect(manifest == again.manifest)
    let read = try SyntheticCorpusOutput(contentsOf: dir.appendingPathComponent("a"))
    #expect(read.masks == again.masks && read.tokens == again.tokens && read.features == again.features)
    let split = again.rows(2..<5)
    #expect(split.tokens.rows == 3 && split.masks.count == 3 * cfg.context)
    #expect(split.label("number")! == Array(again.label("number")![(2 * cfg.context)..<(5 * cfg.context)]))
    #expect(throws: SyntheticCorpusError.self) { try SyntheticCorpusOutput(contentsOf: dir) }
}

@Test("labels align with tokens: numbers, quotes, parentheses, sentence starts, words, topics")
func corpusLabelsAlign() throws {
    let c = try SyntheticCorpus(config: SyntheticCorpusConfig(documents: 3_000), seed: 5).generate()
    let v = c.vocabulary
    let ids = c.tokens.tokens
    func label(_ name: String) -> [UInt8] { c.label(name)! }
    let number = label("number"), the = label("word_the"), and = label("word_and"), ful = label("suffix_ful")
    let quotes = label("inside_quotes"), parens = label("inside_parentheses"), starts = label("sentence_start")
    let topics = SyntheticVocabulary.topics
    let topicLabels = topics.map { label("topic_\($0.name)") }
    let topicWordLabels = topics.map { label("topic_\($0.name)_words") }
    let topicFunctionLabels = topics.map { label("topic_\($0.name)_function_words") }
    let quote = v.id("\""), open = v.id("("), close = v.id(")"), period = v.id("."), bos = v.bosID
    var inQuotes = false, inParens = false, sentenceStart = true
    var documentTopic: Int? = nil
    var mismatches = 0
    func check(_ ok: Bool, _ what: @autoclosure () -> String) {
        if !ok { mismatches += 1; if mismatches <= 5 { Issue.record("\(what())") } }
    }
    for i in ids.indices {
        let id = ids[i], word = v.words[Int(id)]
        check((number[i] == 1) == (Int(word).map { (0...99).contains($0) } ?? false), "number at \(i) '\(word)'")
        check((the[i] == 1) == (word == "the") && (and[i] == 1) == (word == "and"), "word label at \(i) '\(word)'")
        check((ful[i] == 1) == word.hasSuffix("ful"), "suffix_ful at \(i) '\(word)'")
        if id == bos {
            check(c.masks[i] == 0, "BOS at \(i) carries a label")
            if i % c.tokens.context == 0 && !sentenceStart { continue }   // a continuation row's BOS
            documentTopic = nil
            continue
        }
        // Exactly one document topic, constant over the document, agreeing with its topic words.
        let t = topicLabels.indices.filter { topicLabels[$0][i] == 1 }
        check(t.count == 1, "\(t.count) topics at \(i)")
        if let t = t.first {
            if documentTopic == nil { documentTopic = t }
            check(t == documentTopic, "topic changes inside a document at \(i)")
            check((topicWordLabels[t][i] == 1) == topics[t].words.contains(word), "topic word at \(i) '\(word)'")
            check((topicFunctionLabels[t][i] == 1) == SyntheticVocabulary.functionWords.contains(word), "function word at \(i) '\(word)'")
        }
        check((starts[i] == 1) == sentenceStart, "sentence_start at \(i) '\(word)'")
        sentenceStart = id == period
        if id == quote { inQuotes.toggle(); check(quotes[i] == 0, "quote mark labelled"); continue }
        if id == open { check(!inParens && parens[i] == 0, "( at \(i)"); inParens = true; continue }
        if id == close { check(inParens && parens[i] == 0, ") at \(i)"); inParens = false; continue }
        check((quotes[i] == 1) == inQuotes, "inside_quotes at \(i) '\(word)'")
        check((parens[i] == 1) == inParens, "inside_parentheses at \(i) '\(word)'")
    }
    #expect(mismatches == 0)
    #expect(ids.count > 200_000)
}

@Test("every planted feature occurs with the frequency its config asks for")
func corpusFrequencies() throws {
    let c = testCorpus
    #expect(c.tokens.tokens.count > 1_000_000)
    for f in c.features {
        let measured = try #require(f.measuredFrequency)
        let count = c.label(f.name)!.reduce(0) { $0 + Int($1) }
        #expect(abs(Double(count) / Double(c.tokens.tokens.count) - measured) < 1e-12)
        // Topics are drawn per document (≈2,500 documents each), so their share varies more.
        let tolerance = f.kind == .concept ? 0.08 : 0.03
        #expect(abs(measured - f.targetFrequency) <= tolerance * f.targetFrequency,
                "\(f.name): target \(f.targetFrequency), measured \(measured)")
    }
    // The config drives the targets: more quote sentences → more tokens inside quotes.
    var cfg = SyntheticCorpusConfig(documents: 4_000)
    cfg.templateWeights.quote = 0.6
    let quoted = try SyntheticCorpus(config: cfg, seed: 3).generate()
    let target = quoted.features.first { $0.name == "inside_quotes" }!
    #expect(target.targetFrequency > 1.5 * c.features.first { $0.name == "inside_quotes" }!.targetFrequency)
    #expect(abs(target.measuredFrequency! - target.targetFrequency) < 0.03 * target.targetFrequency)
}

@Test("tokenizer.json round-trips through Tokenizer and matches the `tokenizers`-verified fixture")
func corpusTokenizerRoundTrip() throws {
    struct Verification: Decodable {
        struct Row: Decodable { var text: String; var ids: [Int32]; var equal: Bool; var decoded: String }
        var seed: UInt64; var documents: Int; var context: Int; var vocab_size: Int; var bos: Int32
        var unk_encoding: [Int32]; var all_rows_equal: Bool; var feature_names: [String]; var rows: [Row]
    }
    let verification = try JSONDecoder().decode(Verification.self, from: Data(contentsOf: corpusFixtures.appendingPathComponent("verification.json")))
    #expect(verification.all_rows_equal)
    let vocabulary = SyntheticVocabulary()
    // The file `tokenizers` loaded is byte-identical to what SAETrack writes now.
    #expect(try String(contentsOf: corpusFixtures.appendingPathComponent("tokenizer.json"), encoding: .utf8) == vocabulary.tokenizerJSON())

    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let corpus = SyntheticCorpus(config: SyntheticCorpusConfig(documents: verification.documents, context: verification.context),
                                 seed: verification.seed)
    try corpus.writeTokenizerJSON(to: dir.appendingPathComponent("tokenizer.json"))
    let tok = try Tokenizer(tokenizerJSON: dir.appendingPathComponent("tokenizer.json"))
    #expect(tok.vocabSize == verification.vocab_size && tok.bosTokenID == verification.bos)
    #expect(tok.encode("zebra the") == verification.unk_encoding)
    let out = try corpus.generate()
    #expect(out.features.map(\.name) == verification.feature_names)
    #expect(out.tokens.rows == verification.rows.count)
    for (r, row) in verification.rows.enumerated() {
        let swiftRow = Array(out.tokens.row(r))
        #expect(swiftRow == row.ids, "row \(r): generation differs from the fixture")
        #expect(tok.encode(row.text) == row.ids)
        #expect(tok.decode(swiftRow) == row.decoded)
        #expect(tok.encode(tok.decode(swiftRow)) == swiftRow)
    }
}

@Test("rows mode yields exactly the asked rows; invalid configs are rejected with the field named")
func corpusRowsAndValidation() throws {
    let out = try SyntheticCorpus(config: SyntheticCorpusConfig(documents: 0, rows: 37, context: 32), seed: 1).generate()
    #expect(out.tokens.rows == 37 && out.tokens.context == 32 && out.masks.count == 37 * 32)
    #expect(out.tokens.row(0).first == 0)
    let bad = SyntheticCorpusConfig(documents: 10, minSentences: 5, maxSentences: 2)
    #expect(throws: SyntheticCorpusError.invalidConfig("need 1 ≤ min_sentences ≤ max_sentences (got 5, 2)")) {
        try SyntheticCorpus(config: bad, seed: 0).generate()
    }
}
