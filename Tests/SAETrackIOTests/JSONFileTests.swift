import Foundation
import Testing
import SAETrackIO

private struct Sample: Codable, Equatable {
    var zebraCount: Int
    var alphaPath: String
    var score: Double
}

@Suite("JSONFile: one encoding for every file SAETrack writes")
struct JSONFileTests {
    @Test("keys are sorted, slashes unescaped, a trailing newline; snake_case on request; Python's json reads the same keys")
    func layout() throws {
        let text = String(decoding: try JSONFile.encode(Sample(zebraCount: 2, alphaPath: "a/b", score: 0.5)), as: UTF8.self)
        #expect(text == "{\n  \"alphaPath\" : \"a/b\",\n  \"score\" : 0.5,\n  \"zebraCount\" : 2\n}\n")
        let snake = String(decoding: try JSONFile.encode(Sample(zebraCount: 2, alphaPath: "a/b", score: 0.5), keys: .snakeCase),
                           as: UTF8.self)
        #expect(snake.contains("\"alpha_path\"") && snake.contains("\"zebra_count\""))
        #expect(snake.range(of: "alpha_path")!.lowerBound < snake.range(of: "zebra_count")!.lowerBound)
    }

    @Test("a non-finite number is refused by default and round-trips as a string when asked")
    func nonFinite() throws {
        let nan = Sample(zebraCount: 0, alphaPath: "", score: .nan)
        #expect(throws: EncodingError.self) { try JSONFile.encode(nan) }
        let data = try JSONFile.encode(Sample(zebraCount: 0, alphaPath: "", score: -.infinity), nonFinite: .strings)
        #expect(String(decoding: data, as: UTF8.self).contains("\"-Infinity\""))
        let back = try JSONFile.decoder(nonFinite: .strings).decode(Sample.self, from: data)
        #expect(back.score == -.infinity)
    }

    @Test("the canonical digest form is compact with sorted keys, and stays so (recorded fingerprints depend on it)")
    func canonical() throws {
        let bytes = try JSONFile.canonical(Sample(zebraCount: 1, alphaPath: "x/y", score: 2))
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"alphaPath":"x\/y","score":2,"zebraCount":1}"#)
    }

    @Test("reading names the file and the problem: missing file, invalid JSON, missing key")
    func readErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-jsonfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("absent.json")
        let bad = dir.appendingPathComponent("bad.json"), partial = dir.appendingPathComponent("partial.json")
        try Data("{\"score\": ".utf8).write(to: bad)
        try Data("{\"score\": 1, \"alphaPath\": \"p\"}".utf8).write(to: partial)
        for (url, words) in [(missing, "no such file"), (bad, "not valid JSON"), (partial, "missing key \"zebraCount\"")] {
            do {
                _ = try JSONFile.read(Sample.self, from: url)
                Issue.record("\(url.lastPathComponent) was read")
            } catch let e as JSONFileError {
                #expect(e.description.hasPrefix(url.path), "\(e)")
                #expect(e.description.contains(words), "\(e)")
            }
        }
        let good = dir.appendingPathComponent("good.json")
        try JSONFile.write(Sample(zebraCount: 3, alphaPath: "q", score: 1), to: good)
        #expect(try JSONFile.read(Sample.self, from: good) == Sample(zebraCount: 3, alphaPath: "q", score: 1))
    }

    @Test("a hand-written string literal is what JSONSerialization reads back")
    func quote() throws {
        for s in ["plain", "quote \" and \\ backslash", "tab\tnew\nline\r", "\u{01}\u{1f}", "ünïcode ✓"] {
            let doc = "[\(JSONFile.quote(s))]"
            let parsed = try JSONSerialization.jsonObject(with: Data(doc.utf8)) as! [String]
            #expect(parsed == [s], "\(doc)")
        }
    }
}
