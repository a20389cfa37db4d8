import ArgumentParser
import CSupport
import Foundation
import SAETrack

@main
struct SAETrackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saetrack",
        abstract: "Track how SAE features form and drift across a language model's training checkpoints.",
        version: SAETrackVersion.current,
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
            CrosscoderCommand.self,
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
        do {
            var command = try parseAsRoot(nil)
            // For the documentation test: parse and validate the command line, run nothing.
            if ProcessInfo.processInfo.environment["SAETRACK_PARSE_ONLY"] == "1" {
                print("parsed: \(type(of: command).configuration.commandName ?? "saetrack")")
                return
            }
            try command.run()
        } catch {
            exit(withError: UserFacingError.wrapping(error))
        }
    }
}

/// Foundation's raw errors (`NSCocoaErrorDomain` codes, `DecodingError`, POSIX "error 3")
/// reworded before they reach the user (``SystemErrorText``), with the file when Foundation knows it.
struct UserFacingError: Error, CustomStringConvertible {
    var description: String

    /// `error` itself when it already speaks in words (SAETrack's typed errors, argument-parser
    /// errors), else its rewording.
    static func wrapping(_ error: Error) -> Error {
        let ns = error as NSError
        guard error is DecodingError || ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return error }
        let file = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        return UserFacingError(description: (file.map { "\($0): " } ?? "") + SystemErrorText.describe(error))
    }
}
