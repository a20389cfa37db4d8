/// The `pre_tokenizer` section of a `tokenizer.json`: how text is cut into words before the
/// model sees them.
indirect enum PreTokenizer {
    /// GPT-2's byte-level pre-tokenizer: optional prefix space, the GPT-2 pattern, then every
    /// word mapped to its byte-level string (`ByteLevelAlphabet`).
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// Split on whitespace, dropping it.
    case whitespaceSplit
    /// `\w+|[^\w\s]+`.
    case whitespace
    case sequence([PreTokenizer])

    /// Parses a pre-tokenizer object; `file` names the file in errors.
    init(json: [String: Any], file: String) throws {
        guard let type = json["type"] as? String else {
            throw TokenizerError.malformed(file: file, reason: "pre_tokenizer without a \"type\"")
        }
        switch type {
        case "ByteLevel":
            self = .byteLevel(addPrefixSpace: json["add_prefix_space"] as? Bool ?? true,
                              useRegex: json["use_regex"] as? Bool ?? true)
        case "WhitespaceSplit": self = .whitespaceSplit
        case "Whitespace": self = .whitespace
        case "Sequence":
            guard let items = json["pretokenizers"] as? [[String: Any]] else {
                throw TokenizerError.malformed(file: file, reason: "Sequence pre_tokenizer without \"pretokenizers\"")
            }
            self = .sequence(try items.map { try PreTokenizer(json: $0, file: file) })
        default:
            throw TokenizerError.unsupported(file: file, feature: "pre_tokenizer type \(type)")
        }
    }

    /// Whether words come out as byte-level strings.
    var isByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case let .sequence(items): return items.contains { $0.isByteLevel }
        default: return false
        }
    }

    /// The words of `text`, in order.
    func split(_ text: String) -> [String] {
        switch self {
        case let .byteLevel(addPrefixSpace, useRegex):
            var scalars = Array(text.unicodeScalars)
            if addPrefixSpace && scalars.first != " " { scalars.insert(" ", at: 0) }
            let ranges = useRegex ? GPT2PreTokenizerScanner.split(scalars) : (scalars.isEmpty ? [] : [0..<scalars.count])
            return ranges.map { r in
                var piece = String.UnicodeScalarView()
                piece.append(contentsOf: scalars[r])
                return ByteLevelAlphabet.encode(utf8: String(piece).utf8)
            }
        case .whitespaceSplit:
            return Self.runs(text) { CharacterClass.of($0) == .whitespace ? nil : 0 }
        case .whitespace:
            return Self.runs(text) { s in
                if CharacterClass.isWordCharacter(s) { return 1 }
                return CharacterClass.of(s) == .whitespace ? nil : 2
            }
        case let .sequence(items):
            var words = [text]
            for item in items { words = words.flatMap { item.split($0) } }
            return words
        }
    }

    /// Maximal runs of scalars sharing a group; scalars whose group is nil are dropped.
    private static func runs(_ text: String, group: (Unicode.Scalar) -> Int?) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        var currentGroup: Int? = nil
        for s in text.unicodeScalars {
            let g = group(s)
            if g != currentGroup || g == nil {
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
            }
            if g != nil { current.append(s) }
            currentGroup = g
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }
}
