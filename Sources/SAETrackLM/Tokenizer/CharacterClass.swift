/// The character classes the pre-tokenisation patterns distinguish, as Oniguruma (the regex
/// engine of Hugging Face `tokenizers`) defines them: `\p{L}`, `\p{N}`, `\s`, and the rest.
enum CharacterClass: UInt8 {
    case letter, number, whitespace, other

    /// ASCII fast path, built once from the same rules as the general case.
    private static let ascii: [CharacterClass] = (0..<128).map { classifySlow(Unicode.Scalar(UInt8($0))) }

    @inline(__always)
    static func of(_ s: Unicode.Scalar) -> CharacterClass {
        s.value < 128 ? ascii[Int(s.value)] : classifySlow(s)
    }

    private static func classifySlow(_ s: Unicode.Scalar) -> CharacterClass {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return s.properties.isWhitespace ? .whitespace : .other
        }
    }

    /// `\w` in Oniguruma's Unicode mode: letters, marks, decimal digits, connector punctuation.
    static func isWordCharacter(_ s: Unicode.Scalar) -> Bool {
        if s.value < 128 {
            let v = s.value
            return (v >= 48 && v <= 57) || (v >= 65 && v <= 90) || (v >= 97 && v <= 122) || v == 95
        }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation:
            return true
        default:
            return false
        }
    }
}
