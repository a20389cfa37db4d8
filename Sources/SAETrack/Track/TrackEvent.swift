/// Points of a track run at which its on-disk state is consistent; a run may be stopped at any
/// of them (tests simulate kills here) and a restart continues from there. `seed` is a
/// baseline's seed index (``TrackStage/seedIndex``; 0 for chain stages and single baselines).
public enum TrackEvent: Equatable, Sendable, CustomStringConvertible {
    /// A chain stage is about to train (its status is `training` on disk).
    case stageStarted(step: Int)
    /// A trainer state was saved `saeStep` SAE steps into the run for checkpoint `step`.
    case trainerStateSaved(step: Int, saeStep: Int, baseline: Bool, seed: Int = 0)
    /// The stage's SAE files are written but `track.json` does not yet say so.
    case saeWritten(step: Int, baseline: Bool, seed: Int = 0)
    /// The stage (or its baseline) is recorded as done in `track.json`.
    case stageFinished(step: Int, baseline: Bool, seed: Int = 0)

    public var description: String {
        func run(_ step: Int, _ baseline: Bool, _ seed: Int) -> String {
            baseline ? "baseline \(step)" + (seed == 0 ? "" : " seed \(seed)") : "stage \(step)"
        }
        switch self {
        case let .stageStarted(s): return "stage \(s) started"
        case let .trainerStateSaved(s, k, b, seed): return "\(run(s, b, seed)) state saved at SAE step \(k)"
        case let .saeWritten(s, b, seed): return "\(run(s, b, seed)) SAE written"
        case let .stageFinished(s, b, seed): return "\(run(s, b, seed)) finished"
        }
    }
}
