import Foundation
import Testing
import SAETrackCore

@Suite("Run log")
struct RunLogTests {
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-runlog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A thread-safe list of echoed lines.
    final class Echoed: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        func append(_ s: String) { lock.lock(); stored.append(s); lock.unlock() }
        var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
    }

    @Test("lines go to the echo and are appended, UTC-stamped, to the file (created with its directory); a second log appends")
    func appends() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("logs/run.log")
        let echoed = Echoed()
        do {
            let log = try RunLog(appendingTo: url, echo: echoed.append)
            log.write("first")
            log.record("file only")
        }
        try RunLog(appendingTo: url, echo: echoed.append).write("second run")
        #expect(echoed.lines == ["first", "second run"])
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.map { String($0.dropFirst(22)) } == ["first", "file only", "second run"])
        let stamp = try #require(lines.first.map { String($0.prefix(20)) })
        let parsed = try #require(ISO8601DateFormatter().date(from: stamp), "not an ISO 8601 UTC stamp: \(stamp)")
        #expect(abs(parsed.timeIntervalSinceNow) < 600)
    }

    @Test("lines written from several threads at once arrive whole, none lost")
    func concurrent() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("run.log")
        let log = try RunLog(appendingTo: url, echo: { _ in })
        let long = String(repeating: "x", count: 3000)
        DispatchQueue.concurrentPerform(iterations: 200) { i in log.write("line \(i) \(long)") }
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 200)
        #expect(Set(lines.map { $0.dropFirst(22).split(separator: " ")[1] }).count == 200)
        #expect(lines.allSatisfy { $0.hasSuffix(long) })
    }

    @Test("a log that cannot be created is an error naming the file")
    func unwritable() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let blocker = dir.appendingPathComponent("plain-file")
        try Data("x".utf8).write(to: blocker)
        let url = blocker.appendingPathComponent("run.log")            // its directory is a regular file
        #expect {
            try RunLog(appendingTo: url)
        } throws: { error in
            String(describing: error).contains(url.path)
        }
    }

    @Test("a progress printer records a plain line in the file at most every plain interval, and every forced one")
    func printerRecords() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("progress.log")
        let log = try RunLog(appendingTo: url, echo: { _ in })
        let printer = ProgressPrinter(terminalInterval: 3600, plainInterval: 3600, log: log)
        for i in 0..<50 { printer.show("update \(i)") }                  // only the first is due
        printer.show("done", force: true)
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { String($0.dropFirst(22)) }
        #expect(lines == ["update 0", "done"])
    }
}
