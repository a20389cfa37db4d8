/// Why a model cannot be built or run.
public enum TransformerLMError: Error, Equatable, CustomStringConvertible {
    /// The weights do not match the config; every problem is listed.
    case weightsDoNotMatchConfig(model: String, problems: [String])
    /// The config asks for something SAETrack does not implement.
    case unsupportedConfig(model: String, reason: String)
    /// A hook names a block the model does not have.
    case hookOutOfRange(hook: String, layers: Int)
    /// `tokens.count` is not rows × context.
    case tokenCountMismatch(count: Int, rows: Int, context: Int)
    /// A token id outside the embedding matrix.
    case tokenOutOfRange(id: Int32, position: Int, vocabSize: Int)
    /// More positions than the model has.
    case contextTooLong(context: Int, maximum: Int)

    public var description: String {
        switch self {
        case .weightsDoNotMatchConfig(let model, let problems):
            return "weights do not match config.json (\(model)):\n  " + problems.joined(separator: "\n  ")
        case .unsupportedConfig(let model, let reason):
            return "unsupported model config (\(model)): \(reason)"
        case .hookOutOfRange(let hook, let layers):
            return "hook \(hook) is beyond the model's \(layers) blocks (blocks.0 … blocks.\(layers - 1))"
        case .tokenCountMismatch(let count, let rows, let context):
            return "\(count) token ids cannot form \(rows) rows of \(context)"
        case .tokenOutOfRange(let id, let position, let vocabSize):
            return "token id \(id) at position \(position) is outside the vocabulary (0..<\(vocabSize))"
        case .contextTooLong(let context, let maximum):
            return "context \(context) exceeds the model's \(maximum) positions"
        }
    }
}
