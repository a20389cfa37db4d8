import Foundation
import Testing

/// ArgumentParser appends "(default: …)" to the help of every option with a default value, so a
/// help text that spells that default as well says it twice and, when one of them changes, says
/// two different things. Help may still explain a default it cannot show (an optional flag's
/// "default: SAETRACK_THREADS or all cores").
@Suite("help defaults")
struct HelpDefaultsTests {
    /// (command, flag, help) of every option with a default whose help text mentions a default,
    /// over every subcommand of the built `saetrack` (from `--experimental-dump-help`).
    static func restatedDefaults() throws -> [String] {
        let r = try CLIHarness.execute(["--experimental-dump-help"], in: FileManager.default.temporaryDirectory)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        var found: [String] = []
        func walk(_ command: [String: Any], _ path: String) {
            let name = (path + " " + (command["commandName"] as? String ?? "")).trimmingCharacters(in: .whitespaces)
            for argument in command["arguments"] as? [[String: Any]] ?? [] where argument["defaultValue"] != nil {
                let help = argument["abstract"] as? String ?? ""
                if help.range(of: #"\bdefault\b[: ]"#, options: .regularExpression) != nil {
                    found.append("\(name) --\(argument["valueName"] ?? ""): \(help)")
                }
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] { walk(sub, name) }
        }
        walk(try #require(json["command"] as? [String: Any]), "")
        return found
    }

    @Test("no saetrack option with a default value states it again in its help")
    func defaultsOnce() throws {
        try #require(FileManager.default.isExecutableFile(atPath: TrainSAEResumeTests.executable.path),
                     "build the CLI first (make test does): \(TrainSAEResumeTests.executable.path)")
        let restated = try Self.restatedDefaults()
        #expect(restated.isEmpty, "\(restated.joined(separator: "\n"))")
    }
}
