/// The `decoder` section of a `tokenizer.json`: how token strings become text again.
enum TokenDecoder {
    /// Concatenate, then map byte-level characters back to bytes and decode UTF-8 (a token with a
    /// character outside the byte alphabet contributes its own UTF-8 bytes, as in `tokenizers`).
    case byteLevel
    /// No decoder: tokens joined by single spaces (what `tokenizers` does without one).
    case joinWithSpaces

    init(json: [String: Any]?, file: String) throws {
        guard let json else { self = .joinWithSpaces; return }
        switch json["type"] as? String {
        case "ByteLevel": self = .byteLevel
        case let type: throw TokenizerError.unsupported(file: file, feature: "decoder type \(type ?? "(none)")")
        }
    }

    func decode(_ tokens: [String]) -> String {
        switch self {
        case .joinWithSpaces:
            return tokens.joined(separator: " ")
        case .byteLevel:
            var bytes: [UInt8] = []
            for t in tokens {
                if let b = ByteLevelAlphabet.decode(t) { bytes.append(contentsOf: b) } else { bytes.append(contentsOf: Array(t.utf8)) }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
