import Foundation
import Testing
import SAETrack

/// Runs the built `saetrack` executable and builds small inputs for it: a synthetic corpus and a
/// tiny GPT-NeoX checkpoint series written by `saetrack train-lm` (d_model 16, 2 layers; under a
/// second on 2 cores). Each test works in its own temporary directory.
struct CLIHarness {
    let root: URL

    init(_ name: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: TrainSAEResumeTests.executable.path),
                     "build the CLI first (make test does): \(TrainSAEResumeTests.executable.path)")
        root = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-cli-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// (exit status, stdout + stderr).
    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = TrainSAEResumeTests.executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["SAETRACK_THREADS"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = root
        // Output goes to a file, not a pipe: Foundation's pipe reads trap on EINTR under load.
        let log = root.appendingPathComponent(".output-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let data = try Data(contentsOf: log)
        try? FileManager.default.removeItem(at: log)
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs and requires success.
    @discardableResult
    func succeed(_ arguments: [String]) throws -> String {
        let (status, output) = try run(arguments)
        try #require(status == 0, "saetrack \(arguments.joined(separator: " ")) failed:\n\(output)")
        return output
    }

    /// `corpus/tokens.safetensors` (rows of 32 tokens, vocabulary 265).
    func corpus() throws {
        try succeed(["corpus", "--out", path("corpus"), "--documents", "300", "--context", "32"])
    }

    /// `train-lm` arguments for a checkpoint series at `name` (steps 0, 2, 4, 8) of a 2-layer
    /// d_model-16 GPT-NeoX; `extra` flags come last and override.
    func trainLM(_ name: String = "series", _ extra: [String] = []) -> [String] {
        ["train-lm", "--tokens", path("corpus/tokens.safetensors"), "--out", path(name), "--layers", "2",
         "--d-model", "16", "--heads", "2", "--context", "32", "--steps", "8", "--batch-rows", "4",
         "--checkpoints", "list:0,2,4,8"] + extra
    }

    /// Writes that series.
    func series(_ name: String = "series", extra: [String] = []) throws {
        try succeed(trainLM(name, extra))
    }

    /// Small `track` settings: seconds in all.
    static let trackFlags = ["--preset", "quick", "--first-steps", "10", "--continual-steps", "5", "--d-sae", "32",
                             "--batch-size", "64", "--train-rows", "40", "--eval-rows", "8", "--hook", "blocks.1.hook_resid_pre"]

    func track(series: String = "series", out: String = "track", extra: [String] = []) throws -> (status: Int32, output: String) {
        try run(["track", "--series", path(series), "--tokens", path("corpus/tokens.safetensors"), "--out", path(out)]
                + Self.trackFlags + extra)
    }

    /// Every regular file under `relative` with its bytes' SHA-256, to show nothing was changed.
    func snapshot(_ relative: String) throws -> [String: String] {
        let base = root.appendingPathComponent(relative)
        var out: [String: String] = [:]
        guard let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else { return out }
        for case let url as URL in e where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            out[String(url.path.dropFirst(base.path.count))] = try RunFingerprint.fileSHA256(url)
        }
        return out
    }
}
