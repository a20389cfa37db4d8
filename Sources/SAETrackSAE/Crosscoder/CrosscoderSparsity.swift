/// How a cross-snapshot crosscoder keeps its shared code sparse.
///
/// Both forms weight a latent by its total decoder norm `n_i = Σ_s ‖W_dec[s,i]‖` (the sum over
/// snapshots of its decoder rows' lengths), so that a latent cannot look sparse by shrinking its
/// code and growing its decoders:
/// - ``l1(coefficient:)``: Anthropic's crosscoder penalty (Lindsey et al. 2024, "Sparse Crosscoders
///   for Cross-Layer Features and Model Diffing"), `λ · mean_b Σ_i f_bi · n_i`, added to the loss.
/// - ``batchTopK(k:)``: the BatchTopK crosscoder of Minder et al. 2025 (arXiv 2504.02922), used by
///   "Crosscoding Through Time" (arXiv 2509.05291): over the whole batch of B tokens, keep the k·B
///   largest *scores* `ReLU(pre_bi) · n_i`; the kept latents carry their unscaled `ReLU(pre_bi)`,
///   every other latent is 0. No penalty term; the selection passes no gradient to the norms.
///
/// Encoded as `{"kind": "l1", "coefficient": λ}` or `{"kind": "batchtopk", "k": k}`.
public enum CrosscoderSparsity: Sendable, Equatable, Codable {
    case l1(coefficient: Float)
    case batchTopK(k: Int)

    enum CodingKeys: String, CodingKey { case kind, coefficient, k }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(CrosscoderSparsityKind.self, forKey: .kind) {
        case .l1: self = .l1(coefficient: try c.decode(Float.self, forKey: .coefficient))
        case .batchTopK: self = .batchTopK(k: try c.decode(Int.self, forKey: .k))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case let .l1(coefficient): try c.encode(coefficient, forKey: .coefficient)
        case let .batchTopK(k): try c.encode(k, forKey: .k)
        }
    }

    /// The form's name as the CLI and the files spell it (`l1`, `batchtopk`).
    public var kind: CrosscoderSparsityKind {
        switch self {
        case .l1: return .l1
        case .batchTopK: return .batchTopK
        }
    }
}

/// The name of a ``CrosscoderSparsity`` form, without its setting.
public enum CrosscoderSparsityKind: String, Sendable, Codable, CaseIterable {
    case l1
    case batchTopK = "batchtopk"
}
