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
        var env = ["SAETRACK_THREADS": "1"]
        for (k, v) in environment { env[k] = v }
        let r = try Self.execute(arguments, environment: env, in: root, mergingOutput: true)
        return (r.status, r.stdout)
    }

    /// Runs the CLI in `directory` with the test's environment changed by `environment` (a nil
    /// value removes the variable). With `mergingOutput`, stderr goes into `stdout` as well.
    static func execute(_ arguments: [String], environment: [String: String?] = [:], in directory: URL,
                        mergingOutput: Bool = false) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = TrainSAEResumeTests.executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        // Tests compare the CLI's numbers with the library's in this process, so both must run one
        // BLAS kernel family: unless the test says otherwise, the CLI gets this process's, instead of
        // re-executing itself with the family it prefers (which may round products differently).
        if env["OPENBLAS_CORETYPE"] == nil { env["OPENBLAS_CORETYPE"] = BLASKernel.current }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = directory
        // Output goes to files, not pipes: Foundation's pipe reads trap on EINTR under load.
        let tag = UUID().uuidString
        let outURL = directory.appendingPathComponent(".stdout-\(tag)"), errURL = directory.appendingPathComponent(".stderr-\(tag)")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outURL); try? FileManager.default.removeItem(at: errURL) }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = mergingOutput ? out : err
        try process.run()
        process.waitUntilExit()
        try out.close(); try err.close()
        return (process.terminationStatus, String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
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
