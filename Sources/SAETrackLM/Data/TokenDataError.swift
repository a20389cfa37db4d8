/// Errors raised while reading documents or reading/writing token files. Each names the file.
public enum TokenDataError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case malformedTokens(file: String, reason: String)
    case malformedJSONL(file: String, line: Int, reason: String)
    case writeFailed(file: String, reason: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .unreadable(f, r): return "\(f): cannot read: \(r)"
        case let .malformedTokens(f, r): return "\(f): not a token file: \(r)"
        case let .malformedJSONL(f, line, r): return "\(f):\(line): \(r)"
        case let .writeFailed(f, r): return "\(f): write failed: \(r)"
        case let .invalidArgument(r): return r
        }
    }
}
