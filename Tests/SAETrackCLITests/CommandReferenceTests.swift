import Foundation
import Testing

/// Docs/Commands.md is generated from the built CLIs' help texts by Docs/generate-commands.sh; this
/// regenerates it into a temporary file and requires the committed file to be identical, so a
/// changed flag, default or help text cannot leave the reference stale.
@Suite("command reference")
struct CommandReferenceTests {
    @Test("Docs/Commands.md is what Docs/generate-commands.sh writes from the built saetrack and saetrack-mpi")
    func commandReferenceIsCurrent() throws {
        let repository = DocumentedCommandLineTests.repository
        let binary = TrainSAEResumeTests.executable
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the CLI first (make test does): \(binary.path)")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("commands-\(UUID().uuidString).md")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [repository.appendingPathComponent("Docs/generate-commands.sh").path, binary.path, output.path]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "Docs/generate-commands.sh failed")
        let generated = try String(contentsOf: output, encoding: .utf8)
        let committed = try String(contentsOf: repository.appendingPathComponent("Docs/Commands.md"), encoding: .utf8)
        let differing = zip(generated.components(separatedBy: "\n"), committed.components(separatedBy: "\n")).enumerated()
            .first { $0.element.0 != $0.element.1 }
        #expect(generated == committed, """
            Docs/Commands.md is stale: run `sh Docs/generate-commands.sh` after building. First difference at line \
            \((differing?.offset ?? 0) + 1): generated “\(differing?.element.0 ?? "<end>")”, committed “\(differing?.element.1 ?? "<end>")”
            """)
    }
}
