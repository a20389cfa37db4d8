import Foundation

/// The one JSON encoding of every file SAETrack writes, so the same value always gives the same
/// bytes: sorted keys, slashes unescaped, and for files a two-space pretty print with a trailing
/// newline. Read back with ``read(_:from:keys:nonFinite:)``, whose errors name the file.
public enum JSONFile {
    /// How Swift property names map to JSON keys.
    public enum Keys: Sendable {
        /// The `Codable` keys as declared (including any `CodingKeys`).
        case asDeclared
        /// `camelCase` properties written as `snake_case` keys (the analysis outputs).
        case snakeCase
    }

    /// How NaN and ±∞, which JSON has no numbers for, are written.
    public enum NonFinite: Sendable {
        /// Encoding a non-finite number fails (the default: a value that should be finite is a bug).
        case refused
        /// Written as the strings `"NaN"`, `"Infinity"` and `"-Infinity"` (and read back from them),
        /// as Python's `json` and pandas read them.
        case strings
    }

    /// The encoder for files: pretty-printed, sorted keys, slashes unescaped.
    public static func encoder(keys: Keys = .asDeclared, nonFinite: NonFinite = .refused) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if case .snakeCase = keys { e.keyEncodingStrategy = .convertToSnakeCase }
        if case .strings = nonFinite {
            e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        }
        return e
    }

    /// The matching decoder.
    public static func decoder(keys: Keys = .asDeclared, nonFinite: NonFinite = .refused) -> JSONDecoder {
        let d = JSONDecoder()
        if case .snakeCase = keys { d.keyDecodingStrategy = .convertFromSnakeCase }
        if case .strings = nonFinite {
            d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        }
        return d
    }

    /// `value` as a file's bytes: ``encoder(keys:nonFinite:)`` plus a trailing newline.
    public static func encode<T: Encodable>(_ value: T, keys: Keys = .asDeclared, nonFinite: NonFinite = .refused) throws -> Data {
        try encoder(keys: keys, nonFinite: nonFinite).encode(value) + Data("\n".utf8)
    }

    /// Writes `value` to `url` atomically (``AtomicFile``).
    public static func write<T: Encodable>(_ value: T, to url: URL, keys: Keys = .asDeclared,
                                           nonFinite: NonFinite = .refused) throws {
        try AtomicFile.write(try encode(value, keys: keys, nonFinite: nonFinite), to: url)
    }

    /// Reads a `T` from `url`; a missing, unreadable or malformed file is a ``JSONFileError`` that
    /// names the file and, for a malformed one, the key path and the problem.
    public static func read<T: Decodable>(_ type: T.Type, from url: URL, keys: Keys = .asDeclared,
                                          nonFinite: NonFinite = .refused) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw JSONFileError(file: url.path, problem: SystemErrorText.describe(error))
        }
        do { return try decoder(keys: keys, nonFinite: nonFinite).decode(T.self, from: data) } catch {
            throw JSONFileError(file: url.path, problem: SystemErrorText.describe(error))
        }
    }

    /// The canonical compact form used for digests: sorted keys, no whitespace. Its bytes are part
    /// of recorded fingerprints, so this encoding never changes.
    public static func canonical<T: Encodable>(_ value: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return try e.encode(value)
    }

    /// `s` as a JSON string literal, quoted and escaped per RFC 8259 (non-ASCII kept as UTF-8), for
    /// the few files whose layout is written by hand.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

/// A JSON file that could not be read: which file, and what is wrong with it.
public struct JSONFileError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var problem: String
    public var description: String { "\(file): \(problem)" }
}
