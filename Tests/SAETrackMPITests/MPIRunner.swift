import Foundation
import SAETrack

/// Runs `saetrack` and `mpirun … saetrack-mpi` (built beside this test bundle) with a deadline.
enum MPIRunner {
    static var buildDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }
    static var saetrack: URL { buildDirectory.appendingPathComponent("saetrack") }
    static var saetrackMPI: URL { buildDirectory.appendingPathComponent("saetrack-mpi") }

    /// `mpirun` on PATH, if any.
    static let mpirun: URL? = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent("mpirun")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }()

    /// Whether the MPI tests run: mpirun is present, or SAETRACK_REQUIRE_MPI=1 (then a missing
    /// mpirun fails the tests instead of skipping them; `make test` sets it).
    static var enabled: Bool { mpirun != nil || ProcessInfo.processInfo.environment["SAETRACK_REQUIRE_MPI"] == "1" }

    /// One pipe's bytes, written by its reader thread and read after `group.wait()`.
    final class Collected: @unchecked Sendable { var data = Data() }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
        var seconds: Double
    }

    /// Runs `executable arguments`, killing it after `timeout` seconds.
    static func run(_ executable: URL, _ arguments: [String], environment extra: [String: String] = [:],
                    timeout: Double = 120) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in extra { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        // Read both pipes while the process runs (a full pipe would block it).
        let outData = Collected(), errData = Collected()
        let group = DispatchGroup()
        group.enter(); DispatchQueue.global().async { outData.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter(); DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let start = Date()
        try process.run()
        var timedOut = false
        while process.isRunning {
            if Date().timeIntervalSince(start) > timeout {
                timedOut = true
                process.terminate()
                Thread.sleep(forTimeInterval: 2)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.waitUntilExit()
        group.wait()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: outData.data, as: UTF8.self),
                       stderr: String(decoding: errData.data, as: UTF8.self), timedOut: timedOut,
                       seconds: Date().timeIntervalSince(start))
    }

    /// `mpirun --allow-run-as-root --oversubscribe -np ranks saetrack-mpi arguments`.
    static func mpi(_ ranks: Int, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 120) throws -> Outcome {
        guard let mpirun else { throw MPIMissing() }
        return try run(mpirun, ["--allow-run-as-root", "--oversubscribe", "-np", String(ranks), saetrackMPI.path] + arguments,
                       environment: environment, timeout: timeout)
    }

    struct MissingTensor: Error, CustomStringConvertible {
        var name: String
        var description: String { "an SAE directory compared has no tensor \(name)" }
    }

    struct MPIMissing: Error, CustomStringConvertible {
        var description: String {
            "mpirun is not on PATH but SAETRACK_REQUIRE_MPI=1: install Open MPI (make setup installs libopenmpi-dev openmpi-bin)"
        }
    }

    /// max |a − b| / max |a| per tensor of two SAE directories (with `threshold`, JumpReLU's θ too,
    /// which must then be in both).
    static func relativeDifferences(_ a: URL, _ b: URL, threshold: Bool = false) throws -> [String: Double] {
        let ta = try SAEDirectory.read(a).tensors, tb = try SAEDirectory.read(b).tensors
        var out: [String: Double] = [:]
        for name in ["W_enc", "b_enc", "W_dec", "b_dec"] + (threshold ? ["threshold"] : []) {
            guard let ea = ta[name], let eb = tb[name] else { throw MissingTensor(name: name) }
            let (x, y) = (ea.storage, eb.storage)
            precondition(x.count == y.count)
            let scale = x.map { Double(abs($0)) }.max() ?? 0
            let diff = zip(x, y).map { Double(abs($0 - $1)) }.max() ?? 0
            out[name] = diff / max(scale, 1e-30)
        }
        return out
    }
}
