import Foundation
import SAETrackIO

/// Packed token rows in memory: `tokens` is row-major (rows, context). On disk a safetensors file
/// with one tensor `tokens` I32 [rows, context] and `__metadata__` naming the tokenizer.
public struct TokenDataset: Sendable, Equatable {
    public var rows: Int
    public var context: Int
    /// (rows, context) row-major.
    public var tokens: [Int32]
    /// The file's `__metadata__` (tokenizer, bos_token_id, source, …).
    public var metadata: [String: String]

    public init(rows: Int, context: Int, tokens: [Int32], metadata: [String: String] = [:]) {
        precondition(tokens.count == rows * context, "TokenDataset: \(tokens.count) tokens cannot form (\(rows), \(context))")
        self.rows = rows; self.context = context; self.tokens = tokens; self.metadata = metadata
    }

    /// Reads a token file (any integer dtype of rank 2 named `tokens`).
    public init(contentsOf url: URL) throws {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(contentsOf: url) } catch {
            throw TokenDataError.unreadable(file: url.path, reason: SystemErrorText.describe(error))
        }
        guard let info = file.info("tokens") else {
            throw TokenDataError.malformedTokens(file: url.path, reason: "no tensor named 'tokens' (found: \(file.tensorNames.joined(separator: ", ")))")
        }
        guard info.shape.count == 2 else {
            throw TokenDataError.malformedTokens(file: url.path, reason: "'tokens' has shape \(info.shape), expected [rows, context]")
        }
        let values: [Int32]
        do { values = try file.int32s("tokens") } catch {
            throw TokenDataError.malformedTokens(file: url.path, reason: SystemErrorText.describe(error))
        }
        self.init(rows: info.shape[0], context: info.shape[1], tokens: values, metadata: file.metadata)
    }

    /// Token ids of row `r`.
    public func row(_ r: Int) -> ArraySlice<Int32> { tokens[(r * context)..<((r + 1) * context)] }

    /// The rows in `range` as a dataset (same metadata).
    public func rows(_ range: Range<Int>) -> TokenDataset {
        TokenDataset(rows: range.count, context: context,
                     tokens: Array(tokens[(range.lowerBound * context)..<(range.upperBound * context)]), metadata: metadata)
    }

    /// Writes the file atomically; `metadata` is merged over the dataset's own.
    public func write(to url: URL, metadata extra: [String: String] = [:]) throws {
        let merged = metadata.merging(extra) { _, new in new }
        try SafetensorsWriter.write(["tokens": TensorData(shape: [rows, context], int32s: tokens)], metadata: merged, to: url)
    }
}
