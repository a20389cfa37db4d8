import Foundation

/// A language-model config of one of the architectures SAETrack implements, with a normalised
/// view (`dModel`, `nLayers`, …) so the rest of the code need not know the HF key names.
public enum ModelConfig: Equatable, Sendable {
    case gpt2(GPT2Config)
    case gptNeoX(GPTNeoXConfig)

    /// Reads a Hugging Face `config.json`, dispatching on `model_type`.
    public static func load(from configJSON: URL) throws -> ModelConfig {
        let file = configJSON.path
        let data: Data
        do { data = try Data(contentsOf: configJSON) } catch {
            throw ModelConfigError.unreadable(file: file, reason: SystemErrorText.describe(error))
        }
        return try decode(data, file: file)
    }

    /// Decodes `config.json` bytes; `file` names the source in errors.
    public static func decode(_ data: Data, file: String) throws -> ModelConfig {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw ModelConfigError.notJSONObject(file: file, reason: "invalid JSON")
        }
        guard let dict = object as? [String: Any] else {
            throw ModelConfigError.notJSONObject(file: file, reason: "top level is not an object")
        }
        guard let type = dict["model_type"] else { throw ModelConfigError.missingModelType(file: file) }
        guard let modelType = type as? String else {
            throw ModelConfigError.invalidField(file: file, key: "model_type", reason: "must be a string")
        }
        do {
            switch modelType {
            case "gpt2": return .gpt2(try JSONDecoder().decode(GPT2Config.self, from: data))
            case "gpt_neox": return .gptNeoX(try JSONDecoder().decode(GPTNeoXConfig.self, from: data))
            default: throw ModelConfigError.unknownModelType(file: file, modelType: modelType)
            }
        } catch let e as ConfigValueError {
            throw e.naming(file)
        } catch let e as DecodingError {
            throw ModelConfigError.invalidField(file: file, key: Self.keyPath(of: e), reason: Self.reason(of: e))
        }
    }

    /// Checks a config built in code (decoding checks the same) as transformers would: positive
    /// sizes, heads dividing the width, a known activation. `source` names where the values came
    /// from in the error (a file, or the flags that set them).
    public func validate(source: String) throws {
        do {
            switch self {
            case .gpt2(let c): try c.validate()
            case .gptNeoX(let c): try c.validate()
            }
        } catch let e as ConfigValueError {
            throw e.naming(source)
        }
    }

    /// The config as `config.json` bytes transformers' `AutoConfig` reads (sorted keys, pretty).
    public func jsonData() throws -> Data {
        switch self {
        case .gpt2(let c): return try JSONFile.encode(c)
        case .gptNeoX(let c): return try JSONFile.encode(c)
        }
    }

    /// HF `model_type`.
    public var modelType: String {
        switch self { case .gpt2: return "gpt2"; case .gptNeoX: return "gpt_neox" }
    }
    /// Residual stream width.
    public var dModel: Int {
        switch self { case .gpt2(let c): return c.nEmbd; case .gptNeoX(let c): return c.hiddenSize }
    }
    /// Number of transformer blocks.
    public var nLayers: Int {
        switch self { case .gpt2(let c): return c.nLayer; case .gptNeoX(let c): return c.numHiddenLayers }
    }
    /// Attention heads per block.
    public var nHeads: Int {
        switch self { case .gpt2(let c): return c.nHead; case .gptNeoX(let c): return c.numAttentionHeads }
    }
    /// Dimensions per head, dModel / nHeads.
    public var headDim: Int { dModel / nHeads }
    /// Rows of the embedding and unembedding matrices.
    public var vocabSize: Int {
        switch self { case .gpt2(let c): return c.vocabSize; case .gptNeoX(let c): return c.vocabSize }
    }
    /// Maximum context length (positions).
    public var contextLength: Int {
        switch self { case .gpt2(let c): return c.nPositions; case .gptNeoX(let c): return c.maxPositionEmbeddings }
    }
    /// MLP hidden width.
    public var dMLP: Int {
        switch self { case .gpt2(let c): return c.mlpWidth; case .gptNeoX(let c): return c.intermediateSize }
    }
    /// Beginning-of-sequence token, if any.
    public var bosTokenID: Int? {
        switch self { case .gpt2(let c): return c.bosTokenID; case .gptNeoX(let c): return c.bosTokenID }
    }
    /// End-of-sequence token, if any.
    public var eosTokenID: Int? {
        switch self { case .gpt2(let c): return c.eosTokenID; case .gptNeoX(let c): return c.eosTokenID }
    }
    /// LayerNorm epsilon.
    public var layerNormEpsilon: Float {
        switch self { case .gpt2(let c): return Float(c.layerNormEpsilon); case .gptNeoX(let c): return Float(c.layerNormEps) }
    }
    /// MLP non-linearity.
    public var activation: ActivationFunction {
        switch self { case .gpt2(let c): return c.activation; case .gptNeoX(let c): return c.activation }
    }
    /// The unembedding shares the token embedding (GPT-2 `lm_head` = `wte`).
    public var tiedEmbeddings: Bool {
        switch self { case .gpt2(let c): return c.tieWordEmbeddings; case .gptNeoX(let c): return c.tieWordEmbeddings }
    }
    /// GPT-NeoX parallel residual; always false for GPT-2.
    public var parallelResidual: Bool {
        switch self { case .gpt2: return false; case .gptNeoX(let c): return c.useParallelResidual }
    }
    /// Rotated dimensions per head (0 for GPT-2, which uses learned positions).
    public var rotaryDims: Int {
        switch self { case .gpt2: return 0; case .gptNeoX(let c): return c.rotaryDims }
    }
    /// Rotary base θ (nil for GPT-2).
    public var rotaryBase: Double? {
        switch self { case .gpt2: return nil; case .gptNeoX(let c): return c.rotaryEmbBase }
    }
    /// A one-line description for logs and errors, e.g. `GPT-NeoX, 6 layers, d_model 512`.
    public var summary: String {
        let arch: String
        switch self { case .gpt2: arch = "GPT-2"; case .gptNeoX: arch = "GPT-NeoX" }
        return "\(arch), \(nLayers) layers, d_model \(dModel), \(nHeads) heads, vocab \(vocabSize)"
    }

    private static func keyPath(of e: DecodingError) -> String {
        let path: [CodingKey]
        switch e {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): path = c.codingPath
        case .keyNotFound(let k, let c): path = c.codingPath + [k]
        @unknown default: path = []
        }
        return path.map(\.stringValue).joined(separator: ".")
    }

    private static func reason(of e: DecodingError) -> String {
        switch e {
        case .typeMismatch(let t, _): return "expected \(t)"
        case .valueNotFound(let t, _): return "expected \(t), found null"
        case .keyNotFound: return "missing"
        case .dataCorrupted(let c): return c.debugDescription
        @unknown default: return "\(e)"
        }
    }
}
