import Foundation
import Testing

/// Every `saetrack …` command line shown in README.md and Docs/*.md parses with the real
/// argument parser (SAETRACK_PARSE_ONLY=1 makes the CLI parse and validate, then exit), and
/// every flag named in an inline `saetrack <command> …` span exists in that command's --help.
@Suite("documented command lines agree with the parser")
struct DocumentedCommandLineTests {
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var documents: [URL] {
        let docs = repository.appendingPathComponent("Docs")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: docs.path)) ?? []
        return [repository.appendingPathComponent("README.md")]
            + names.filter { $0.hasSuffix(".md") }.sorted().map { docs.appendingPathComponent($0) }
    }

    /// Command lines inside fenced code blocks: continuation lines joined, `#` comments and
    /// column-aligned descriptions dropped, the text from `saetrack` on.
    static func fencedCommands(_ text: String) -> [String] {
        var out: [String] = []
        var inFence = false
        var pending = ""
        for raw in text.components(separatedBy: "\n") {
            if raw.trimmingCharacters(in: .whitespaces).hasPrefix("```") { inFence.toggle(); pending = ""; continue }
            guard inFence else { continue }
            var line = raw
            if let hash = line.range(of: " #") ?? (line.hasPrefix("#") ? line.range(of: "#") : nil) { line = String(line[..<hash.lowerBound]) }
            if line.hasSuffix("\\") {
                pending += (pending.isEmpty ? line.dropLast() : Substring(line.dropLast().trimmingCharacters(in: .whitespaces))) + " "
                continue
            }
            line = pending + (pending.isEmpty ? line : line.trimmingCharacters(in: .whitespaces))
            pending = ""
            guard let r = line.range(of: #"(^|[\s/])saetrack [a-z]"#, options: .regularExpression) else { continue }
            var command = String(line[r.lowerBound...]).trimmingCharacters(in: .whitespaces)
            if let start = command.range(of: "saetrack ") { command = String(command[start.lowerBound...]) }
            if let gap = command.range(of: #"\s{3,}"#, options: .regularExpression) { command = String(command[..<gap.lowerBound]) }
            out.append(command)
        }
        return out
    }

    /// Arguments for a documented line: `[A | B]` → A, `[A]` → A, `(A | B)` → A, `a|b` → a, placeholders
    /// (FILE, DIR, N, …) → a value.
    static func arguments(_ command: String) -> [String] {
        var s = command
        while let r = s.range(of: #"\[[^\[\]]*\]|\([^()]*\|[^()]*\)"#, options: .regularExpression) {
            let inner = s[r].dropFirst().dropLast()
            let first = inner.components(separatedBy: " | ")[0]
            s.replaceSubrange(r, with: first)
        }
        var args: [String] = []
        var token = ""
        var quoted = false
        for ch in s {
            if ch == "\"" { quoted.toggle(); continue }
            if ch == " " && !quoted { if !token.isEmpty { args.append(token) }; token = ""; continue }
            token.append(ch)
        }
        if !token.isEmpty { args.append(token) }
        return args.dropFirst().map { a in
            if a.range(of: #"^[A-Z][A-Z0-9_]*$"#, options: .regularExpression) != nil { return a == "N" || a == "K" ? "1" : "x" }
            if !a.hasPrefix("-"), a.contains("|"), let first = a.split(separator: "|").first { return String(first) }
            return a
        }
    }

    @Test("every saetrack command line in a code block of README.md and Docs/*.md parses")
    func fencedLinesParse() throws {
        let h = try CLIHarness("docs")
        defer { h.remove() }
        var checked = 0
        for doc in Self.documents {
            for command in Self.fencedCommands(try String(contentsOf: doc, encoding: .utf8)) {
                let args = Self.arguments(command)
                let (status, output) = try h.run(args, environment: ["SAETRACK_PARSE_ONLY": "1"])
                #expect(status == 0, "\(doc.lastPathComponent): `\(command)` does not parse:\n\(output)")
                checked += 1
            }
        }
        #expect(checked >= 15, "only \(checked) documented command lines found")
    }

    @Test("every flag named in an inline `saetrack <command> …` span exists in that command's --help")
    func inlineFlagsExist() throws {
        let h = try CLIHarness("docs-inline")
        defer { h.remove() }
        var help: [String: String] = [:]
        for doc in Self.documents {
            let text = try String(contentsOf: doc, encoding: .utf8)
            let spans = text.matches(of: try Regex("`saetrack ((?:bench [a-z-]+)|[a-z-]+)((?: [^`]*)?)`"))
            for m in spans {
                guard let c = m.output[1].substring else { continue }
                let command = String(c)
                let rest = m.output[2].substring.map(String.init) ?? ""
                let flags = rest.matches(of: try Regex("--[a-z][a-z0-9-]*")).map { String(rest[$0.range]) }
                guard !flags.isEmpty else { continue }
                if help[command] == nil { help[command] = try h.run(command.split(separator: " ").map(String.init) + ["--help"]).output }
                for flag in flags {
                    #expect(help[command]!.contains(flag), "\(doc.lastPathComponent): `saetrack \(command)` has no \(flag)")
                }
            }
        }
    }

    @Test("train-sae takes --init (as documented) and the older --initial")
    func initFlag() throws {
        let h = try CLIHarness("init")
        defer { h.remove() }
        for flag in ["--init", "--initial"] {
            let (status, output) = try h.run(["train-sae", "--activations", "a", "--out", "o", flag, "s", "--stage", "continual"],
                                             environment: ["SAETRACK_PARSE_ONLY": "1"])
            #expect(status == 0, "\(flag): \(output)")
        }
    }
}
