import Foundation
import SAETrackLM

/// Renders token ids as text pieces for feature cards: the pieces of a context concatenate to the
/// tokenizer's decoding of the whole context, so byte-level BPE reads as text ("Ġcopyright" →
/// " copyright") and word-level vocabularies keep their spaces, instead of ids or tokens joined
/// with spaces.
public enum TokenDecoding {
    /// Pieces of `ids`: piece i is decode(ids[0...i]) minus the text already emitted. A character
    /// whose UTF-8 bytes are split over several byte-level tokens is emitted whole on the token that
    /// completes it (the earlier ones get an empty piece), so the pieces always concatenate to the
    /// decoding of the whole context. If an earlier decoding is not a prefix of a later one, the
    /// token is decoded on its own.
    public static func pieces(_ ids: [Int32], tokenizer: Tokenizer) -> [String] {
        var out: [String] = []
        out.reserveCapacity(ids.count)
        var emitted = ""
        for i in ids.indices {
            let text = tokenizer.decode(Array(ids[0...i]))
            // An incomplete character decodes to U+FFFD: wait for the token that completes it.
            if text.hasSuffix("\u{FFFD}") && i < ids.count - 1 && tokenizer.decode([ids[i + 1]]).hasPrefix("\u{FFFD}") {
                out.append("")
                continue
            }
            if text.hasPrefix(emitted) {
                out.append(String(text.dropFirst(emitted.count)))
            } else {
                let own = tokenizer.decode([ids[i]])
                out.append(own.isEmpty ? (tokenizer.token(for: ids[i]) ?? "#\(ids[i])") : own)
            }
            emitted = text
        }
        return out
    }

    /// A pieces closure backed by a `tokenizer.json`.
    public static func decoder(tokenizerJSON url: URL) throws -> ([Int32]) -> [String] {
        let tokenizer = try Tokenizer(tokenizerJSON: url)
        return { pieces($0, tokenizer: tokenizer) }
    }
}
