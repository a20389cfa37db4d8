import Foundation
import Testing
import SAETrack

/// `saetrack-mpi train-sae` parses the choices of the options it shares with `saetrack train-sae`
/// (`TrainSAEOptions`): a wrong value is refused by ArgumentParser as `saetrack` refuses it, before
/// MPI starts (so no `mpirun` is needed), and a flag that needs another is refused by name.
@Suite("saetrack-mpi train-sae option parsing")
struct ShardedOptionsParseTests {
    init() throws {
        try #require(FileManager.default.isExecutableFile(atPath: MPIRunner.saetrackMPI.path),
                     "build every product first (make test does): \(MPIRunner.saetrackMPI.path)")
    }

    static let base = ["train-sae", "--activations", "nowhere.safetensors", "--out", "nowhere"]

    /// The first line of stderr (ArgumentParser's error) of `exe` on `arguments`, which must fail.
    static func refusal(_ exe: URL, _ arguments: [String]) throws -> String {
        let r = try MPIRunner.run(exe, arguments, timeout: 60)
        #expect(!r.timedOut && r.status != 0)
        return String(r.stderr.split(separator: "\n").first ?? "")
    }

    @Test("a wrong choice is refused as saetrack refuses it, listing the valid values", arguments: [
        ["--stage", "middle"], ["--schedule", "cosine"], ["--loss", "l2"], ["--decoder-norm", "fixed"],
        ["--cache", "c", "--cache-dtype", "f64"], ["--architecture", "relu"],
        ["--architecture", "jumprelu", "--jumprelu-sparsity", "cubic"],
    ])
    func wrongChoice(_ extra: [String]) throws {
        let sharded = try Self.refusal(MPIRunner.saetrackMPI, Self.base + extra)
        #expect(sharded.contains("The value '\(extra.last!)' is invalid for '\(extra[extra.count - 2])"), "\(sharded)")
        #expect(sharded.contains("Please provide one of '"), "\(sharded)")
        #expect(try sharded == Self.refusal(MPIRunner.saetrack, Self.base + extra))
    }

    @Test("--cache-dtype without --cache and --stage continual without --init are refused by name")
    func dependentFlags() throws {
        for (extra, message) in [(["--cache-dtype", "bf16"], "--cache-dtype needs --cache"),
                                 (["--stage", "continual"], "--stage continual needs --init")] {
            let r = try MPIRunner.run(MPIRunner.saetrackMPI, Self.base + extra, timeout: 60)
            #expect(!r.timedOut && r.status != 0 && r.stderr.contains(message), "\(extra): \(r.stderr)")
        }
    }
}
