import Foundation
import Testing
import SAETrackIO

@Suite("Directory replacement")
struct DirectoryReplacementTests {
    @Test("the new directory replaces the old one whole, except its run logs, which move across and stay open for appending")
    func keepsLogs() throws {
        let fm = FileManager.default
        let parent = fm.temporaryDirectory.appendingPathComponent("saetrack-replace-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: parent) }
        let dir = parent.appendingPathComponent("out")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("old weights".utf8).write(to: dir.appendingPathComponent("weights.bin"))
        try Data("stale".utf8).write(to: dir.appendingPathComponent("state.json"))
        let logURL = dir.appendingPathComponent("run.log")
        try Data("line 1\n".utf8).write(to: logURL)
        let handle = try #require(FileHandle(forWritingAtPath: logURL.path))
        handle.seekToEndOfFile()

        try DirectoryReplacement.replace(dir) { tmp in
            try Data("new weights".utf8).write(to: tmp.appendingPathComponent("weights.bin"))
        }
        handle.write(Data("line 2\n".utf8))
        try handle.close()

        #expect(Set(try fm.contentsOfDirectory(atPath: dir.path)) == ["weights.bin", "run.log"])
        #expect(try String(contentsOf: dir.appendingPathComponent("weights.bin"), encoding: .utf8) == "new weights")
        #expect(try String(contentsOf: logURL, encoding: .utf8) == "line 1\nline 2\n")
        #expect(try fm.contentsOfDirectory(atPath: parent.path) == ["out"], "no hidden temporary or old directory left")
    }
}
