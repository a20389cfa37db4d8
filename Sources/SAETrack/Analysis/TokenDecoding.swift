import Foundation
import SAETrackLM

/// Per-token decoding for feature cards: each id rendered on its own (byte-level BPE markers
/// such as "Ġ" turned back into spaces by the tokenizer's decoder).
public enum TokenDecoding {
    /// A decoder closure backed by a `tokenizer.json`.
    public static func decoder(tokenizerJSON url: URL) throws -> (Int32) -> String {
        let tokenizer = try Tokenizer(tokenizerJSON: url)
        return { id in
            let text = tokenizer.decode([id])
            return text.isEmpty ? (tokenizer.token(for: id) ?? "#\(id)") : text
        }
    }
}
