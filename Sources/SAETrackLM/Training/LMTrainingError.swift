/// Why a training run or one of its inputs was refused.
public enum LMTrainingError: Error, CustomStringConvertible, Equatable {
    /// The model shape cannot be trained.
    case invalidArchitecture(String)
    /// A training hyperparameter is out of range.
    case invalidTrainingConfig(String)
    /// The token file cannot feed this model.
    case invalidTokens(file: String, reason: String)
    /// A checkpoint schedule string such as `log:60` or `list:0,1,2` could not be parsed.
    case invalidSchedule(String)
    /// A file in the series directory could not be read or written.
    case seriesDirectory(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidArchitecture(let r): return "invalid model architecture: \(r)"
        case .invalidTrainingConfig(let r): return "invalid training config: \(r)"
        case .invalidTokens(let file, let r): return "\(file): \(r)"
        case .invalidSchedule(let r): return "invalid checkpoint schedule: \(r)"
        case .seriesDirectory(let path, let r): return "\(path): \(r)"
        }
    }
}
