import Foundation
import Testing
@testable import SAETrackLM

private func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-dataset-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

private func pack(_ docs: [[Int32]], context: Int, bos: Int32? = 0, maxDocumentTokens: Int? = nil) -> (rows: [[Int32]], rest: [Int32]) {
    var packer = TokenPacker(context: context, bosTokenID: bos, maxDocumentTokens: maxDocumentTokens)
    var rows: [[Int32]] = []
    for d in docs { packer.add(document: d) { rows.append($0) } }
    return (rows, packer.finish())
}

@Test("packing: BOS per document, BOS again on the continuation row, partial row handed back")
func datasetPackingHandChecked() {
    // docs → [0 1 2] [0 3 4 5 6 7] [0 8]
    let (rows, rest) = pack([[1, 2], [3, 4, 5, 6, 7], [8]], context: 4)
    #expect(rows == [[0, 1, 2, 0], [0, 3, 4, 5], [0, 6, 7, 0]])
    #expect(rest == [0, 8])
}

@Test("packing: no double BOS when a document or its continuation already starts with BOS")
func datasetPackingExistingBOS() {
    #expect(pack([[0, 5, 6]], context: 4).rest == [0, 5, 6])
    // [0 1 2 3 | 0 4]: the remainder starts with BOS, nothing is prepended.
    let (rows, rest) = pack([[1, 2, 3, 0, 4]], context: 4)
    #expect(rows == [[0, 1, 2, 3]])
    #expect(rest == [0, 4])
}

@Test("packing: a document that exactly fills a row, truncation, long documents, no BOS")
func datasetPackingEdges() {
    let exact = pack([[1, 2], [3]], context: 3)
    #expect(exact.rows == [[0, 1, 2]])
    #expect(exact.rest == [0, 3])
    // 10 tokens + BOS over rows of 3: [0 1 2] [0 3 4] [0 5 6] [0 7 8] [0 9 10]
    let long = pack([Array(1...10)], context: 3)
    #expect(long.rows == [[0, 1, 2], [0, 3, 4], [0, 5, 6], [0, 7, 8], [0, 9, 10]])
    #expect(long.rest.isEmpty)
    let truncated = pack([Array(1...10), [20]], context: 4, maxDocumentTokens: 5)
    #expect(truncated.rows == [[0, 1, 2, 3], [0, 4, 0, 20]])
    let plain = pack([[1, 2], [3, 4, 5]], context: 2, bos: nil)
    #expect(plain.rows == [[1, 2], [3, 4]])
    #expect(plain.rest == [5])
}

@Test("TokenDataset round-trips through safetensors with metadata")
func datasetRoundTrip() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let ds = TokenDataset(rows: 3, context: 4, tokens: (0..<12).map { Int32($0 * 1000 - 7) }, metadata: ["tokenizer": "x.json"])
    let url = dir.appendingPathComponent("t.safetensors")
    try ds.write(to: url, metadata: ["extra": "1"])
    let back = try TokenDataset(contentsOf: url)
    #expect(back.tokens == ds.tokens && back.rows == 3 && back.context == 4)
    #expect(back.metadata == ["tokenizer": "x.json", "extra": "1"])
    #expect(back.row(1) == [3993, 4993, 5993, 6993][...])
    #expect(throws: TokenDataError.self) { try TokenDataset(contentsOf: dir.appendingPathComponent("none.safetensors")) }
}

@Test("DocumentReader: JSONL with CRLF and blank lines, paragraphs, errors name file and line")
func datasetDocumentReader() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let jsonl = dir.appendingPathComponent("d.jsonl")
    try Data("{\"text\": \"one\\ntwo\"}\r\n\n{\"text\": \"three\", \"id\": 3}\n{\"text\": \"\"}".utf8).write(to: jsonl)
    var r = try DocumentReader(url: jsonl)
    var docs: [String] = []
    while let d = try r.next() { docs.append(d) }
    #expect(docs == ["one\ntwo", "three", ""])

    let text = dir.appendingPathComponent("d.txt")
    try Data("a b\nc\n\n\nd\n".utf8).write(to: text)
    var p = try DocumentReader(url: text, format: .paragraphs)
    docs = []
    while let d = try p.next() { docs.append(d) }
    #expect(docs == ["a b\nc", "d"])
    var l = try DocumentReader(url: text)
    docs = []
    while let d = try l.next() { docs.append(d) }
    #expect(docs == ["a b", "c", "d"])

    try Data("{\"text\": \"ok\"}\n{\"body\": 1}\n".utf8).write(to: jsonl)
    var bad = try DocumentReader(url: jsonl)
    _ = try bad.next()
    #expect(throws: TokenDataError.malformedJSONL(file: jsonl.path, line: 2, reason: "no string field \"text\"")) { try bad.next() }
}

@Test("TokenFileBuilder streams a multi-MiB JSONL file into rows equal to packing the encodings")
func datasetBuilderStreams() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // A word-level tokenizer: w0…w9 → ids 1…10, BOS "<|endoftext|>" = 0.
    let vocab = (["<|endoftext|>"] + (0..<10).map { "w\($0)" }).enumerated().map { "\"\($1)\": \($0)" }.joined(separator: ", ")
    let tokJSON = dir.appendingPathComponent("tokenizer.json")
    try Data("""
    {"added_tokens": [{"id": 0, "content": "<|endoftext|>", "special": true, "normalized": false}],
     "pre_tokenizer": {"type": "WhitespaceSplit"}, "model": {"type": "WordLevel", "vocab": {\(vocab)}, "unk_token": "<|endoftext|>"}}
    """.utf8).write(to: tokJSON)
    let tok = try Tokenizer(tokenizerJSON: tokJSON)
    #expect(tok.encode("w3 w1  w9") == [4, 2, 10])
    #expect(tok.decode([4, 2, 10]) == "w3 w1 w9")

    // Document i has (i % 7) + 1 words "w(i%10) …", so every row boundary is predictable.
    var text = "", expected: [Int32] = []
    var lengths: [Int] = []
    for i in 0..<60_000 {
        let n = i % 7 + 1
        let words = (0..<n).map { "w\((i + $0) % 10)" }
        text += "{\"text\": \"\(words.joined(separator: " "))\", \"pad\": \"\(String(repeating: "x", count: 20))\"}\n"
        expected.append(0)
        expected.append(contentsOf: (0..<n).map { Int32((i + $0) % 10 + 1) })
        lengths.append(n)
    }
    let input = dir.appendingPathComponent("c.jsonl")
    try Data(text.utf8).write(to: input)
    #expect(text.utf8.count > 3 << 20)
    var reader = try DocumentReader(url: input)
    let out = dir.appendingPathComponent("c.safetensors")
    let stats = try TokenFileBuilder(tokenizer: tok, context: 16, bosTokenID: 0).build(from: &reader, to: out, metadata: ["source": "test"])
    let ds = try TokenDataset(contentsOf: out)
    #expect(stats.documents == 60_000)
    #expect(ds.context == 16 && ds.rows == stats.rows)
    #expect(ds.metadata["bos_token_id"] == "0" && ds.metadata["source"] == "test" && ds.metadata["tokenizer"] == tokJSON.path)
    // Every row starts with BOS (a document start or a continuation); the stream without the
    // continuation BOS tokens equals the documents concatenated.
    var stream: [Int32] = []
    for r in 0..<ds.rows {
        let row = ds.row(r)
        #expect(row.first == 0)
        stream.append(contentsOf: row)
    }
    let words = stream.filter { $0 != 0 }, expectedWords = expected.filter { $0 != 0 }
    #expect(words.count > expectedWords.count - 16 && Array(expectedWords.prefix(words.count)) == words)
    // The streamed, parallel path gives exactly the rows of packing the documents in order.
    var docs: [[Int32]] = [], at = 0
    for n in lengths { docs.append(Array(expected[(at + 1)...(at + n)])); at += n + 1 }
    let packed = pack(docs, context: 16)
    #expect(packed.rows.flatMap { $0 } == ds.tokens)
    #expect(packed.rest.count == stats.droppedTokens)

    var limited = try DocumentReader(url: input)
    let few = try TokenFileBuilder(tokenizer: tok, context: 16, bosTokenID: 0, maxRows: 5).build(from: &limited, to: out)
    #expect(few.rows == 5)
    #expect(try TokenDataset(contentsOf: out).tokens == Array(ds.tokens.prefix(5 * 16)))
}
