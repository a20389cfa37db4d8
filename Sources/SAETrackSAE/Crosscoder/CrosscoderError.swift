/// What stops crosscoder training, each message naming the input and the problem.
public enum CrosscoderError: Error, CustomStringConvertible, Equatable {
    /// The settings cannot be used (one sentence per problem).
    case invalidConfig([String])
    /// The snapshots' activation matrices disagree in shape, or there are none.
    case shapeMismatch(String)
    /// An activation matrix holds a NaN or an infinity.
    case nonFiniteInput(snapshot: String, row: Int, value: Float)
    /// Training diverged (loss or parameters not finite, or the loss exploded) at this step.
    case diverged(step: Int, reason: String)
    /// A saved crosscoder's file is missing a tensor, has one of the wrong shape, or lacks its config.
    case unreadable(file: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidConfig(problems): return "crosscoder: " + problems.joined(separator: "; ")
        case let .shapeMismatch(reason): return "crosscoder: \(reason)"
        case let .nonFiniteInput(snapshot, row, value):
            return "crosscoder: activations of \(snapshot) hold \(value) at token row \(row); nothing was trained"
        case let .diverged(step, reason):
            return "crosscoder training diverged at step \(step): \(reason); lower --lr (or the L1 coefficient) and rerun"
        case let .unreadable(file, reason): return "\(file): not a crosscoder this version can read: \(reason)"
        }
    }
}
