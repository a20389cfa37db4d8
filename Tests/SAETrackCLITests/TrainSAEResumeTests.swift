import Foundation
import Testing
import SAETrack

/// `saetrack train-sae` killed with SIGKILL mid-run, then rerun with the same command, must end
/// with exactly the SAE an uninterrupted run writes: the CLI's resume path end to end (state
/// directory, activation store position, Adam moments, counters, log).
@Suite("train-sae CLI resume")
struct TrainSAEResumeTests {
    /// The `saetrack` executable beside this test bundle (`make test` builds every product).
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("saetrack")
    }

    /// Runs the CLI; returns (exit status, terminated by a signal, stderr).
    static func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (Int32, Bool, String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in extra { env[k] = v }
        process.environment = env
        let errPipe = Pipe()
        process.standardError = errPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let err = errPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal, String(decoding: err, as: UTF8.self))
    }

    @Test("a run killed by SIGKILL after step 25 resumes from its step-20 state and ends bit-identical to an uninterrupted run")
    func killedRunResumes() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path),
                     "build the CLI first (make test does): \(Self.executable.path)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        // Activations with a planted sparse structure: 2560 tokens × 16 dims.
        var rng = SeededRandom(seed: 31)
        var acts = Matrix(rows: 2560, cols: 16)
        acts.withUnsafeMutableBufferPointer { rng.fillNormal($0, mean: 0, std: 1) }
        let file = dir.appendingPathComponent("acts.safetensors")
        try SafetensorsWriter.write(["activations": TensorData(acts)], to: file)

        let common = ["train-sae", "--activations", file.path, "--d-sae", "64", "--steps", "40", "--batch-size", "64",
                      "--warmup", "5", "--log-every", "5", "--save-every", "10", "--buffer-tokens", "512",
                      "--dead-window", "1000", "--threads", "1"]
        let whole = dir.appendingPathComponent("whole"), killed = dir.appendingPathComponent("killed")

        let (status, _, log) = try Self.run(common + ["--out", whole.path])
        #expect(status == 0, "uninterrupted run failed: \(log)")

        let (_, bySignal, killedLog) = try Self.run(common + ["--out", killed.path],
                                                    environment: ["SAETRACK_FAULT_KILL_AT_STEP": "25"])
        #expect(bySignal, "the fault-injected run should die by SIGKILL: \(killedLog)")
        #expect(killedLog.contains("step 25/40"))
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent("sae_weights.safetensors").path))

        let (resumeStatus, _, resumeLog) = try Self.run(common + ["--out", killed.path])
        #expect(resumeStatus == 0, "resumed run failed: \(resumeLog)")
        #expect(resumeLog.contains("resuming at step 20/40"), "\(resumeLog)")

        let a = try SAEDirectory.read(whole), b = try SAEDirectory.read(killed)
        for name in ["W_enc", "b_enc", "W_dec", "b_dec"] {
            #expect(a.tensors[name] == b.tensors[name], "\(name) differs after resume")
        }
        // The training log goes on from the saved state: the same steps and losses as the whole run.
        let logA = try String(contentsOf: whole.appendingPathComponent("training_log.csv"), encoding: .utf8)
        let logB = try String(contentsOf: killed.appendingPathComponent("training_log.csv"), encoding: .utf8)
        func stepsAndLoss(_ csv: String) -> [String] { csv.split(separator: "\n").map { $0.split(separator: ",").prefix(4).joined(separator: ",") } }
        #expect(stepsAndLoss(logA) == stepsAndLoss(logB))
        // The run log beside the SAE keeps both processes' lines: the killed run's up to its last
        // printed step, then the resumed run's, each stamped with UTC time.
        let runLog = try String(contentsOf: killed.appendingPathComponent("train_sae.log"), encoding: .utf8)
        let lines = runLog.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z  "#, options: .regularExpression) != nil },
                "every line stamped: \(runLog)")
        let killedAt = lines.firstIndex { $0.contains("step 25/40") }, resumedAt = lines.firstIndex { $0.contains("resuming at step 20/40") }
        #expect(killedAt != nil && resumedAt != nil && killedAt! < resumedAt!, "\(runLog)")
        #expect(lines.last?.contains("finished; SAE written to") == true, "\(runLog)")
    }
}
