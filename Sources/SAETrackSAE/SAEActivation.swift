/// The nonlinearity that turns an SAE's pre-activations into its codes, with SAELens's semantics
/// (`sae_lens/saes/{standard,topk,jumprelu}_sae.py`, 6.54.12). With pre = sae_in·W_enc + b_enc
/// (B, d_sae):
/// ```
/// relu           f[b,i] = max(0, pre[b,i])                                    SAELens "standard"
/// topK(k)        f[b,i] = max(0, pre[b,i]) if i is among the k largest of pre[b,:], else 0
///                                                                             SAELens "topk"
/// jumpReLU(θ)    f[b,i] = max(0, pre[b,i]) · 1[pre[b,i] > θ_i]               SAELens "jumprelu"
/// ```
/// JumpReLU is also how SAELens saves BatchTopK and Matryoshka-BatchTopK SAEs for inference: every
/// θ_i equals the running threshold learned in training.
public enum SAEActivation: Sendable, Equatable {
    /// ReLU (the paper's SAEs, SAELens `standard`).
    case relu
    /// The k largest pre-activations of each token, ReLU'd (SAELens `topk`); k ≥ 1.
    case topK(Int)
    /// Per-feature thresholds θ (d_sae) (SAELens `jumprelu`, tensor `threshold`).
    case jumpReLU(threshold: [Float])

    /// The SAELens `architecture` string of an SAE with this activation.
    public var saeLensArchitecture: String {
        switch self {
        case .relu: return "standard"
        case .topK: return "topk"
        case .jumpReLU: return "jumprelu"
        }
    }

    /// k for `topK`, nil otherwise.
    public var k: Int? {
        if case .topK(let k) = self { return k }
        return nil
    }

    /// θ (d_sae) for `jumpReLU`, nil otherwise.
    public var threshold: [Float]? {
        if case .jumpReLU(let t) = self { return t }
        return nil
    }
}
