import Foundation

/// The `normalizer` section of a `tokenizer.json`: the unicode normal forms, lowercasing and
/// sequences of them.
indirect enum Normalizer {
    case nfc, nfd, nfkc, nfkd, lowercase
    case sequence([Normalizer])

    /// Parses a normalizer object; `file` names the file in errors.
    init(json: [String: Any], file: String) throws {
        guard let type = json["type"] as? String else {
            throw TokenizerError.malformed(file: file, reason: "normalizer without a \"type\"")
        }
        switch type {
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        case "Lowercase": self = .lowercase
        case "Sequence":
            guard let items = json["normalizers"] as? [[String: Any]] else {
                throw TokenizerError.malformed(file: file, reason: "Sequence normalizer without \"normalizers\"")
            }
            self = .sequence(try items.map { try Normalizer(json: $0, file: file) })
        default:
            throw TokenizerError.unsupported(file: file, feature: "normalizer type \(type)")
        }
    }

    /// `text` normalised.
    func apply(_ text: String) -> String {
        switch self {
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .nfd: return text.decomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        case .nfkd: return text.decomposedStringWithCompatibilityMapping
        case .lowercase: return text.lowercased()
        case let .sequence(items): return items.reduce(text) { $1.apply($0) }
        }
    }
}
