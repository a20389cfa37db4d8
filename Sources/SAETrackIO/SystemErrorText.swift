import Foundation

/// Foundation's errors in words: `DecodingError`s name the key path, Cocoa file errors
/// (`NSCocoaErrorDomain` 4, 260, 257, 513, 640, 3840 …) say "no such file", "permission
/// denied", "invalid JSON", never "The operation could not be completed (error 3)".
public enum SystemErrorText {
    /// A sentence describing `error` (no domain names, no error numbers).
    public static func describe(_ error: Error) -> String {
        if let e = error as? DecodingError { return describe(e) }
        let ns = error as NSError
        if ns.domain == NSCocoaErrorDomain {
            switch ns.code {
            case 4, 260: return "no such file or directory"
            case 257, 513: return "permission denied"
            case 640: return "not enough disk space"
            case 516: return "a file with that name already exists"
            case 3840: return "invalid JSON"
            case 4864, 4865: return "invalid or unexpected JSON content"
            default: break
            }
            if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
                return String(cString: strerror(Int32(underlying.code)))
            }
            return "file system error (code \(ns.code))"
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if type(of: error) is NSError.Type { return ns.localizedDescription }
        return String(describing: error)
    }

    /// A `DecodingError` as "missing key \"hidden_size\"" / "key \"a.b\": expected Int, found a string".
    public static func describe(_ e: DecodingError) -> String {
        func path(_ c: [CodingKey]) -> String { c.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") }
        switch e {
        case let .keyNotFound(k, c):
            let at = path(c.codingPath)
            return "missing key \"\(k.stringValue)\"" + (at.isEmpty ? "" : " in \"\(at)\"")
        case let .typeMismatch(t, c): return "key \"\(path(c.codingPath))\": expected \(t)"
        case let .valueNotFound(t, c): return "key \"\(path(c.codingPath))\": expected \(t), found null"
        case let .dataCorrupted(c):
            let at = path(c.codingPath)
            if c.underlyingError != nil || at.isEmpty { return "not valid JSON" + (at.isEmpty ? "" : " at \"\(at)\"") }
            return "key \"\(at)\": \(c.debugDescription)"
        @unknown default: return "undecodable content"
        }
    }
}
