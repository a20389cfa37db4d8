import Foundation

/// Errors of SAE training, activation sources and SAE files; each message names the problem.
public enum SAETrainingError: Error, CustomStringConvertible, Equatable {
    case invalidConfig([String])
    case shapeMismatch(String)
    case sourceExhausted(String)
    case notResumable(String)
    case badState(URL, String)
    case badFile(URL, String)

    public var description: String {
        switch self {
        case .invalidConfig(let problems):
            return "invalid SAE training config:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
        case .shapeMismatch(let message): return "shape mismatch: \(message)"
        case .sourceExhausted(let message): return "activation source exhausted: \(message)"
        case .notResumable(let message): return "not resumable: \(message)"
        case .badState(let url, let message): return "\(url.path): invalid trainer state: \(message)"
        case .badFile(let url, let message): return "\(url.path): \(message)"
        }
    }
}
