import Foundation
import SAETrackIO

/// What `analyze` needs besides the SAEs and the evaluation activations: the evaluation token
/// ids (for feature cards), the tokenizer to decode them, and optional ground-truth label masks
/// aligned with the tokens (the synthetic corpus's planted features).
///
/// Stored as `cache/eval-tokens.safetensors`: `tokens` I32 [rows, context] and one U8
/// `label/<name>` [rows, context] per label; label kinds and the tokenizer path in the metadata.
public struct EvaluationInputs: Equatable, Sendable {
    public static let fileName = "cache/eval-tokens.safetensors"

    /// A ground-truth label: 1 where the planted feature is present.
    public struct Label: Equatable, Sendable {
        public var name: String
        /// "token", "concept" or "structural".
        public var kind: String
        public var mask: [UInt8]
        public init(name: String, kind: String, mask: [UInt8]) { self.name = name; self.kind = kind; self.mask = mask }
    }

    /// (rows, context) evaluation token ids, row-major — the rows the evaluation activations came from.
    public var tokens: [Int32]
    public var context: Int
    /// tokenizer.json used to decode tokens (nil: show ids).
    public var tokenizer: String?
    public var labels: [Label]

    public init(tokens: [Int32], context: Int, tokenizer: String? = nil, labels: [Label] = []) {
        self.tokens = tokens; self.context = context; self.tokenizer = tokenizer; self.labels = labels
    }

    public var rows: Int { tokens.count / max(context, 1) }

    /// Writes the inputs into a track directory (atomically).
    public func write(to trackDirectory: URL) throws {
        var tensors: [String: TensorData] = ["tokens": TensorData(shape: [rows, context], int32s: tokens)]
        var kinds: [String: String] = [:]
        for l in labels {
            tensors["label/\(l.name)"] = TensorData(shape: [rows, context], uint8s: l.mask)
            kinds[l.name] = l.kind
        }
        var metadata = ["label_kinds": String(data: try JSONFile.canonical(kinds), encoding: .utf8)!,
                        "label_order": labels.map(\.name).joined(separator: "\u{1F}")]
        if let tokenizer { metadata["tokenizer"] = tokenizer }
        try SafetensorsWriter.write(tensors, metadata: metadata, to: trackDirectory.appendingPathComponent(Self.fileName))
    }

    /// Reads the inputs of a track directory, or nil when none were recorded.
    public static func read(from trackDirectory: URL) throws -> EvaluationInputs? {
        let url = trackDirectory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let file = try SafetensorsFile(contentsOf: url)
        guard let info = file.info("tokens"), info.shape.count == 2 else {
            throw TrackError.unreadableState(file: url.path, reason: "no 2-D `tokens` tensor")
        }
        let kinds = (try? JSONDecoder().decode([String: String].self, from: Data((file.metadata["label_kinds"] ?? "{}").utf8))) ?? [:]
        let order = (file.metadata["label_order"] ?? "").split(separator: "\u{1F}").map(String.init)
        var labels: [Label] = []
        for name in order {
            let bytes = try file.rawBytes("label/\(name)")
            labels.append(Label(name: name, kind: kinds[name] ?? "unknown", mask: [UInt8](bytes)))
        }
        return EvaluationInputs(tokens: try file.int32s("tokens"), context: info.shape[1], tokenizer: file.metadata["tokenizer"],
                                labels: labels)
    }
}

