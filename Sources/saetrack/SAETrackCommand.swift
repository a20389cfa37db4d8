import ArgumentParser
import CSupport
import SAETrack

@main
struct SAETrackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saetrack",
        abstract: "Track how SAE features form and drift across a language model's training checkpoints.",
        subcommands: [
            // One line per command; each command lives in its own file.
            ActivationsCommand.self,
            EncodeCommand.self,
            BenchCommand.self,
            TokenizeCommand.self,
            CorpusCommand.self,
            TrainLMCommand.self,
            TrackCommand.self,
            TrainSAECommand.self,
            AnalyzeCommand.self,
            InspectCommand.self,
            DemoCommand.self,
        ]
    )

    /// Runs the command line, first re-executing once with OpenBLAS's faster kernel family when
    /// this CPU has one (``BLASKernel``; `SAETRACK_BLAS_KERNEL=default` or any `OPENBLAS_CORETYPE`
    /// keeps OpenBLAS's own choice), and keeping freed activation buffers in the heap.
    static func main() {
        BLASKernel.reexecutingWithFasterKernelIfNeeded()
        _ = saetrack_keep_freed_buffers()     // CSupport: reuse freed activation buffers
        main(nil)
    }
}
