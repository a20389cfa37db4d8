/// Points of a track run at which its on-disk state is consistent; a run may be stopped at any
/// of them (tests simulate kills here) and a restart continues from there.
public enum TrackEvent: Equatable, Sendable, CustomStringConvertible {
    /// A chain stage is about to train (its status is `training` on disk).
    case stageStarted(step: Int)
    /// A trainer state was saved `saeStep` SAE steps into the run for checkpoint `step`.
    case trainerStateSaved(step: Int, saeStep: Int, baseline: Bool)
    /// The stage's SAE files are written but `track.json` does not yet say so.
    case saeWritten(step: Int, baseline: Bool)
    /// The stage (or its baseline) is recorded as done in `track.json`.
    case stageFinished(step: Int, baseline: Bool)

    public var description: String {
        switch self {
        case let .stageStarted(s): return "stage \(s) started"
        case let .trainerStateSaved(s, k, b): return "\(b ? "baseline" : "stage") \(s) state saved at SAE step \(k)"
        case let .saeWritten(s, b): return "\(b ? "baseline" : "stage") \(s) SAE written"
        case let .stageFinished(s, b): return "\(b ? "baseline" : "stage") \(s) finished"
        }
    }
}
