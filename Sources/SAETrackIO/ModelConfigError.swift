/// Errors raised while reading a Hugging Face `config.json`. Each names the file.
public enum ModelConfigError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// The file is not a JSON object.
    case notJSONObject(file: String, reason: String)
    /// There is no `model_type` key.
    case missingModelType(file: String)
    /// `model_type` names an architecture SAETrack does not implement.
    case unknownModelType(file: String, modelType: String)
    /// A key is missing, has the wrong JSON type or an impossible value.
    case invalidField(file: String, key: String, reason: String)
    /// The activation function is not one SAETrack implements.
    case unsupportedActivation(file: String, key: String, value: String)
    /// The rotary embedding configuration (type or scaling) is not one SAETrack implements.
    case unsupportedRope(file: String, reason: String)
    /// A key that fixes the model's tensor shapes is absent. transformers would substitute its
    /// class default (GPT-NeoX: `hidden_size` 6144, 44 layers), silently building another model.
    case missingKey(file: String, key: String, architecture: String)

    public var description: String {
        switch self {
        case let .unreadable(f, r): return "\(f): cannot read config: \(r)"
        case let .notJSONObject(f, r): return "\(f): config is not a JSON object: \(r)"
        case let .missingModelType(f): return "\(f): config has no \"model_type\" (expected \"gpt2\" or \"gpt_neox\")"
        case let .unknownModelType(f, t):
            return "\(f): unknown model_type \"\(t)\"; SAETrack reads \"gpt2\" and \"gpt_neox\" models"
        case let .invalidField(f, k, r): return "\(f): config key \"\(k)\": \(r)"
        case let .unsupportedActivation(f, k, v):
            return "\(f): \"\(k)\": \"\(v)\" is not a supported activation (gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu)"
        case let .unsupportedRope(f, r): return "\(f): unsupported rotary embedding: \(r)"
        case let .missingKey(f, k, a):
            return "\(f): config has no \"\(k)\", which a \(a) model needs (SAETrack does not guess shape-defining keys)"
        }
    }
}

/// A config value problem found while decoding, before the file name is known.
/// `ModelConfig.load(from:)` turns it into a ``ModelConfigError`` naming the file.
struct ConfigValueError: Error {
    enum Kind { case invalid, activation, rope, missing(architecture: String) }
    var kind: Kind
    var key: String
    var reason: String

    func naming(_ file: String) -> ModelConfigError {
        switch kind {
        case .invalid: return .invalidField(file: file, key: key, reason: reason)
        case .activation: return .unsupportedActivation(file: file, key: key, value: reason)
        case .rope: return .unsupportedRope(file: file, reason: reason)
        case .missing(let architecture): return .missingKey(file: file, key: key, architecture: architecture)
        }
    }

    /// Decodes a key that must be present (it fixes tensor shapes), naming it when absent.
    static func required<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K, architecture: String) throws -> Int {
        guard c.contains(key), try !c.decodeNil(forKey: key) else {
            throw ConfigValueError(kind: .missing(architecture: architecture), key: key.stringValue, reason: "missing")
        }
        return try c.decode(Int.self, forKey: key)
    }

    /// Checks that `value` (decoded from `key`) is at least `minimum`.
    static func require(_ value: Int, atLeast minimum: Int, key: String) throws {
        guard value >= minimum else {
            throw ConfigValueError(kind: .invalid, key: key, reason: "must be at least \(minimum), got \(value)")
        }
    }
}
