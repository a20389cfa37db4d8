/// Errors raised while loading a tokenizer. Each names the file and the problem.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case malformed(file: String, reason: String)
    case unsupported(file: String, feature: String)

    public var description: String {
        switch self {
        case let .unreadable(f, r): return "\(f): cannot read tokenizer file: \(r)"
        case let .malformed(f, r): return "\(f): malformed tokenizer: \(r)"
        case let .unsupported(f, what): return "\(f): unsupported tokenizer feature: \(what)"
        }
    }
}
