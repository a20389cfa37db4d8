import Foundation

/// What can go wrong running or resuming a track, each message naming the file and the problem.
public enum TrackError: Error, CustomStringConvertible, Equatable {
    /// `track.json` could not be read or decoded.
    case unreadableState(file: String, reason: String)
    /// A restart asked for a different configuration than the one recorded in `track.json`.
    case configMismatch(file: String, differences: [String])
    /// A stage marked finished has no SAE on disk.
    case missingSAE(step: Int, path: String)
    /// A checkpoint step requested by the configuration is not in the series.
    case missingCheckpoint(step: Int, series: String)
    /// The chain was asked for an empty or inconsistent list of checkpoints.
    case invalidCheckpoints(String)
    /// Activation shapes disagree with the SAE configuration.
    case shapeMismatch(String)
    /// A test or a caller interrupted the run on purpose (simulated kill).
    case interrupted(String)
    /// A streamed track (``TrackStream``) cannot get or continue its token stream.
    case streamUnavailable(String)
    /// A setting of the configuration is out of its range.
    case invalidSetting(String)

    public var description: String {
        switch self {
        case let .unreadableState(file, reason): return "\(file): cannot read the track state: \(reason)"
        case let .configMismatch(file, differences):
            return "\(file) was written with a different configuration; nothing was changed:\n  "
                + differences.joined(separator: "\n  ")
                + "\nPass the same flags to continue, --restart to start over, or choose a new --out directory"
                + (differences.allSatisfy { $0.hasSuffix("--resume-changed continues with it)") }
                    ? "; --resume-changed continues with these settings." : ".")
        case let .missingSAE(step, path): return "stage at step \(step) is marked done but its SAE is missing: \(path)"
        case let .missingCheckpoint(step, series): return "\(series): no checkpoint for step \(step)"
        case let .invalidCheckpoints(reason): return "invalid checkpoint list: \(reason)"
        case let .shapeMismatch(reason): return "shape mismatch: \(reason)"
        case let .interrupted(point): return "interrupted at \(point)"
        case let .streamUnavailable(reason): return "streamed track: \(reason)"
        case let .invalidSetting(reason): return "invalid track setting: \(reason)"
        }
    }
}
