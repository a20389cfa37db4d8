/// An entry of `added_tokens`: matched in the raw (or normalised) text before pre-tokenisation,
/// so it is never split.
struct AddedToken {
    var id: Int32
    var content: String
    var special: Bool
    /// Matched in the normalised text (true) or in the raw text (false).
    var normalized: Bool
    var lstrip: Bool
    var rstrip: Bool
    var singleWord: Bool

    init(id: Int32, content: String, special: Bool, normalized: Bool, lstrip: Bool = false, rstrip: Bool = false, singleWord: Bool = false) {
        self.id = id; self.content = content; self.special = special; self.normalized = normalized
        self.lstrip = lstrip; self.rstrip = rstrip; self.singleWord = singleWord
    }

    init(json: [String: Any], file: String) throws {
        guard let id = json["id"] as? Int, let content = json["content"] as? String, !content.isEmpty else {
            throw TokenizerError.malformed(file: file, reason: "added token without an \"id\" and a non-empty \"content\"")
        }
        let special = json["special"] as? Bool ?? false
        self.init(id: Int32(id), content: content, special: special,
                  normalized: json["normalized"] as? Bool ?? !special,
                  lstrip: json["lstrip"] as? Bool ?? false, rstrip: json["rstrip"] as? Bool ?? false,
                  singleWord: json["single_word"] as? Bool ?? false)
    }
}

/// A piece of text after added-token extraction: either an added token's id or text for the model.
enum TextSegment {
    case token(Int32)
    case text(String)
}

/// Finds added tokens in text, leftmost first and longest among those starting at one place
/// (the `LeftmostLongest` matching of `tokenizers`).
struct AddedTokenMatcher {
    private let byFirstScalar: [UInt32: [(scalars: [Unicode.Scalar], token: AddedToken)]]
    var isEmpty: Bool { byFirstScalar.isEmpty }

    init(_ tokens: [AddedToken]) {
        var table: [UInt32: [(scalars: [Unicode.Scalar], token: AddedToken)]] = [:]
        for t in tokens {
            let scalars = Array(t.content.unicodeScalars)
            table[scalars[0].value, default: []].append((scalars, t))
        }
        for key in table.keys { table[key]!.sort { $0.scalars.count > $1.scalars.count } }
        byFirstScalar = table
    }

    /// `text` cut into added tokens and the text between them (empty text pieces dropped).
    func segments(_ text: String) -> [TextSegment] {
        if isEmpty { return [.text(text)] }
        let s = Array(text.unicodeScalars)
        var out: [TextSegment] = []
        var pendingStart = 0
        var i = 0
        func flush(_ end: Int) {
            if end > pendingStart {
                var v = String.UnicodeScalarView(); v.append(contentsOf: s[pendingStart..<end])
                out.append(.text(String(v)))
            }
        }
        while i < s.count {
            guard let candidates = byFirstScalar[s[i].value],
                  let (len, token) = longestMatch(candidates, in: s, at: i) else { i += 1; continue }
            var start = i, end = i + len
            if token.lstrip { while start > pendingStart && CharacterClass.of(s[start - 1]) == .whitespace { start -= 1 } }
            if token.rstrip { while end < s.count && CharacterClass.of(s[end]) == .whitespace { end += 1 } }
            flush(start)
            out.append(.token(token.id))
            pendingStart = end
            i = end
        }
        flush(s.count)
        return out
    }

    private func longestMatch(_ candidates: [(scalars: [Unicode.Scalar], token: AddedToken)], in s: [Unicode.Scalar], at i: Int) -> (Int, AddedToken)? {
        for (scalars, token) in candidates where i + scalars.count <= s.count {
            var equal = true
            for k in 0..<scalars.count where s[i + k] != scalars[k] { equal = false; break }
            guard equal else { continue }
            if token.singleWord {
                let before = i > 0 && CharacterClass.isWordCharacter(s[i - 1])
                let after = i + scalars.count < s.count && CharacterClass.isWordCharacter(s[i + scalars.count])
                if before || after { continue }
            }
            return (scalars.count, token)
        }
        return nil
    }
}
