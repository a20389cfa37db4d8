import Foundation
import SAETrackIO

/// A token file as the track reads it: safetensors `tokens` I32 [rows, context].
public struct TokenRowsFile: Sendable {
    public let rows: Int
    public let context: Int
    /// (rows, context) row-major.
    public let tokens: [Int32]
    public let metadata: [String: String]

    public init(contentsOf url: URL) throws {
        let file = try SafetensorsFile(contentsOf: url)
        guard let info = file.info("tokens"), info.shape.count == 2 else {
            throw TrackError.unreadableState(file: url.path, reason: "expected a tensor `tokens` of shape [rows, context]")
        }
        (rows, context) = (info.shape[0], info.shape[1])
        tokens = try file.int32s("tokens")
        metadata = file.metadata
    }
}
