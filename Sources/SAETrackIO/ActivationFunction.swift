/// The MLP non-linearity named by a Hugging Face config (`activation_function` for GPT-2,
/// `hidden_act` for GPT-NeoX), normalised to the functions SAETrack implements.
public enum ActivationFunction: String, Codable, Sendable, CaseIterable {
    /// Exact GELU, `0.5·x·(1 + erf(x/√2))` (HF `"gelu"`; Pythia).
    case geluExact
    /// Tanh-approximated GELU, `0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))`
    /// (HF `"gelu_new"`, `"gelu_pytorch_tanh"`, `"gelu_fast"`; GPT-2).
    case geluTanh
    /// `max(0, x)` (HF `"relu"`).
    case relu
    /// `x·σ(x)` (HF `"silu"`, `"swish"`).
    case silu

    /// Maps a Hugging Face activation name; nil for names SAETrack does not implement.
    public init?(huggingFaceName name: String) {
        switch name {
        case "gelu": self = .geluExact
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluTanh
        case "relu": self = .relu
        case "silu", "swish": self = .silu
        default: return nil
        }
    }

    /// The canonical Hugging Face name written to `config.json`.
    public var huggingFaceName: String {
        switch self {
        case .geluExact: return "gelu"
        case .geluTanh: return "gelu_new"
        case .relu: return "relu"
        case .silu: return "silu"
        }
    }
}
