import ArgumentParser
import Foundation
import SAETrack

/// How a rerun treats an output directory whose recorded inputs differ from the current ones
/// (`track`, `train-sae`, `train-lm`, `saetrack-mpi train-sae`): refuse (the default), continue
/// anyway, or start over.
public struct ResumeOptions: ParsableArguments {
    public init() {}

    @Flag(name: .customLong("resume-changed"),
          help: "Continue a run although its inputs (token file, tokenizer, checkpoints, SAETrack version) changed since it started, or (track) with settings that do not change results (--checkpoint-every); the change is recorded. Settings that change results need --restart.")
    public var resumeChanged = false
    @Flag(name: .long, help: "Discard this command's earlier outputs in --out and start over.")
    public var restart = false

    /// Refuses `--resume-changed` with `--restart`.
    public func validate() throws {
        if resumeChanged && restart { throw ValidationError("give --resume-changed or --restart, not both") }
    }

    /// Compares `current` with the fingerprint recorded in `directory` and decides:
    /// returns the changes accepted (non-empty only with `--resume-changed`), or throws
    /// ``RunInputsChangedError`` listing them. Records `current` unless the run is refused.
    /// With no recorded fingerprint nothing is compared (a new run, or one from before fingerprints).
    @discardableResult
    public func check(_ current: RunFingerprint, in directory: URL, command: String, growable: [String] = []) throws -> [String] {
        guard let recorded = try RunFingerprint.read(from: directory) else { return [] }
        let changes = current.changes(since: recorded, growable: growable)
        guard !changes.isEmpty else { return [] }
        guard resumeChanged else { throw RunInputsChangedError(directory: directory.path, command: command, changes: changes) }
        return changes
    }
}

/// A rerun found that the inputs of the run recorded in its output directory changed.
public struct RunInputsChangedError: Error, CustomStringConvertible {
    /// The output directory, the command that wrote it and the inputs that changed.
    public var directory: String
    public var command: String
    public var changes: [String]

    public var description: String {
        "\(directory) holds a \(command) run made from different inputs; nothing was changed:\n  "
            + changes.joined(separator: "\n  ")
            + "\nRerun with the original inputs, pass --resume-changed to continue with the new ones (mixing them), "
            + "--restart to start over, or choose a new --out directory."
    }
}
