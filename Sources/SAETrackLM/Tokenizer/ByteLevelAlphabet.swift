/// GPT-2's reversible byte ↔ unicode map (`bytes_to_unicode`): printable Latin-1 bytes map to
/// themselves, the other 68 bytes to U+0100… in byte order, so every byte sequence becomes a
/// string of visible characters (a space becomes `Ġ`, a newline `Ċ`).
public enum ByteLevelAlphabet {
    /// `byteToScalar[b]` is the character that stands for byte `b`.
    public static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The inverse map: character → byte (nil for characters outside the alphabet).
    public static let scalarToByte: [UInt32: UInt8] = {
        var inverse: [UInt32: UInt8] = [:]
        for (b, s) in byteToScalar.enumerated() { inverse[s.value] = UInt8(b) }
        return inverse
    }()

    /// The byte-level string of the UTF-8 encoding of `text`.
    public static func encode<S: Sequence>(utf8 bytes: S) -> String where S.Element == UInt8 {
        var out = String.UnicodeScalarView()
        for b in bytes { out.append(byteToScalar[Int(b)]) }
        return String(out)
    }

    /// The bytes a byte-level token stands for, or nil when a character is outside the alphabet.
    public static func decode(_ token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for s in token.unicodeScalars {
            guard let b = scalarToByte[s.value] else { return nil }
            bytes.append(b)
        }
        return bytes
    }
}
