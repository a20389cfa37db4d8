import ArgumentParser
import CSupport
import Foundation
import SAETrack

/// `saetrack-mpi`: the SAETrack commands that run as one MPI job, `mpirun -np N saetrack-mpi …`
/// (Docs/Distributed.md). Started without `mpirun` it is a job of one rank.
@main
struct SAETrackMPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saetrack-mpi",
        abstract: "SAETrack commands as one MPI job: mpirun -np N saetrack-mpi train-sae … (latents split over the ranks).",
        version: SAETrackVersion.current,
        subcommands: [ShardedTrainSAECommand.self]
    )

    /// As `saetrack`: the faster OpenBLAS kernel family first (before MPI starts), freed buffers kept.
    static func main() {
        BLASKernel.reexecutingWithFasterKernelIfNeeded()
        _ = saetrack_keep_freed_buffers()
        do {
            var command = try parseAsRoot(nil)
            if ProcessInfo.processInfo.environment["SAETRACK_PARSE_ONLY"] == "1" {
                print("parsed: \(type(of: command).configuration.commandName ?? "saetrack-mpi")")
                return
            }
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
