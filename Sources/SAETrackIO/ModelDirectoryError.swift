/// Every way a checkpoint's tensors can disagree with its config, gathered into one report.
public struct WeightMismatch: Equatable, Sendable, CustomStringConvertible {
    /// A tensor whose shape differs from what the config implies.
    public struct WrongShape: Equatable, Sendable {
        public var name: String
        public var found: [Int]
        public var expected: [Int]
    }
    /// The weights file (or directory, for sharded checkpoints) that was checked.
    public var file: String
    /// The config it was checked against (`ModelConfig.summary`).
    public var config: String
    /// Parameters the config requires that are absent.
    public var missing: [String] = []
    /// Tensors that are neither parameters nor known buffers.
    public var unexpected: [String] = []
    /// Parameters with the wrong shape.
    public var wrongShape: [WrongShape] = []
    /// Parameters whose dtype is not a float type (name, dtype).
    public var wrongDType: [String] = []
    /// Names that occur twice (for example both `wte.weight` and `transformer.wte.weight`).
    public var duplicate: [String] = []

    /// True when nothing is wrong.
    public var isEmpty: Bool {
        missing.isEmpty && unexpected.isEmpty && wrongShape.isEmpty && wrongDType.isEmpty && duplicate.isEmpty
    }

    public var description: String {
        var lines = ["\(file) does not match config.json (\(config)):"]
        lines += missing.map { "  missing:     \($0)" }
        lines += unexpected.map { "  unexpected:  \($0)" }
        lines += wrongShape.map { "  wrong shape: \($0.name) is \($0.found), expected \($0.expected)" }
        lines += wrongDType.map { "  wrong dtype: \($0)" }
        lines += duplicate.map { "  duplicate:   \($0)" }
        return lines.joined(separator: "\n")
    }
}

/// Errors raised while reading or writing a Hugging Face model directory.
public enum ModelDirectoryError: Error, CustomStringConvertible, Equatable {
    /// The path is not a directory.
    case notADirectory(path: String)
    /// The directory has no `config.json`.
    case missingConfig(directory: String)
    /// The directory has neither `model.safetensors` nor `model.safetensors.index.json`.
    case noWeights(directory: String, found: [String])
    /// The shard index is unreadable or inconsistent.
    case invalidIndex(file: String, reason: String)
    /// Tensors disagree with the config; lists every problem.
    case mismatch(WeightMismatch)
    /// A weight tensor holds NaN or ±infinity (`count` values, the first at flat `firstIndex`).
    case nonFiniteWeights(file: String, tensor: String, count: Int, firstIndex: Int, value: Float)

    public var description: String {
        switch self {
        case let .notADirectory(p): return "\(p): not a directory"
        case let .missingConfig(d): return "\(d): no config.json"
        case let .noWeights(d, found):
            let hint = found.contains { $0.hasSuffix(".bin") || $0.hasSuffix(".pt") }
                ? " (PyTorch pickles are not read; convert with transformers' save_pretrained(safe_serialization=True))" : ""
            return "\(d): no model.safetensors or model.safetensors.index.json\(hint); found: \(found.sorted().joined(separator: ", "))"
        case let .invalidIndex(f, r): return "\(f): invalid shard index: \(r)"
        case let .mismatch(m): return m.description
        case let .nonFiniteWeights(f, t, n, i, v):
            return "\(f): tensor \(t) holds \(n) non-finite value\(n == 1 ? "" : "s") (first: \(v) at flat index \(i)); "
                + "the checkpoint is corrupt or its training diverged"
        }
    }
}
