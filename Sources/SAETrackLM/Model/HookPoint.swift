/// A place in the residual stream or a block's output where activations are read or replaced,
/// named as in TransformerLens: `blocks.{L}.hook_resid_pre`, `…hook_resid_mid`, `…hook_resid_post`,
/// `…hook_attn_out`, `…hook_mlp_out`.
///
/// Within block `L` the hooks occur in this order (the order ``TransformerModel`` offers them):
///
///     resid_pre ─ attn_out ─ resid_mid ─ mlp_out ─ resid_post
///
/// `resid_mid` is `resid_pre + attn_out`. In a sequential block it is the MLP's input; a
/// parallel-residual GPT-NeoX block (which TransformerLens gives no `hook_resid_mid`) computes it
/// only for reading, and its MLP still reads `resid_pre`.
public enum HookPoint: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The residual stream entering block `L` (HF `hidden_states[L]`).
    case residPre(Int)
    /// The residual stream between attention and MLP of block `L`.
    case residMid(Int)
    /// The residual stream leaving block `L` (HF `hidden_states[L+1]` before the final LayerNorm).
    case residPost(Int)
    /// The attention output of block `L` (after the output projection and its bias).
    case attnOut(Int)
    /// The MLP output of block `L` (after the down projection and its bias).
    case mlpOut(Int)

    /// Parses a TransformerLens hook name such as `"blocks.4.hook_resid_pre"`.
    public init(name: String) throws {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "blocks", let layer = Int(parts[1]), layer >= 0 else {
            throw HookPointError.malformed(name)
        }
        switch parts[2] {
        case "hook_resid_pre": self = .residPre(layer)
        case "hook_resid_mid": self = .residMid(layer)
        case "hook_resid_post": self = .residPost(layer)
        case "hook_attn_out": self = .attnOut(layer)
        case "hook_mlp_out": self = .mlpOut(layer)
        default: throw HookPointError.unknownSite(name, site: String(parts[2]))
        }
    }

    /// The block this hook belongs to.
    public var layer: Int {
        switch self {
        case .residPre(let l), .residMid(let l), .residPost(let l), .attnOut(let l), .mlpOut(let l): return l
        }
    }

    /// The TransformerLens name, e.g. `"blocks.4.hook_resid_pre"`.
    public var name: String { "blocks.\(layer).\(siteName)" }

    /// The hook's name inside its block, e.g. `"hook_resid_pre"`.
    public var siteName: String {
        switch self {
        case .residPre: return "hook_resid_pre"
        case .residMid: return "hook_resid_mid"
        case .residPost: return "hook_resid_post"
        case .attnOut: return "hook_attn_out"
        case .mlpOut: return "hook_mlp_out"
        }
    }

    /// Every hook of a model with `layers` blocks, in forward order.
    public static func all(layers: Int) -> [HookPoint] {
        (0..<layers).flatMap { [.residPre($0), .attnOut($0), .residMid($0), .mlpOut($0), .residPost($0)] }
    }

    public var description: String { name }

    // Codable as the TransformerLens name string, so JSON configs read naturally.
    public init(from decoder: Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        try self.init(name: name)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// A hook name that does not parse.
public enum HookPointError: Error, Equatable, CustomStringConvertible {
    /// Not of the form `blocks.{L}.hook_{site}`.
    case malformed(String)
    /// `blocks.{L}.` followed by a site SAETrack does not implement.
    case unknownSite(String, site: String)

    public var description: String {
        switch self {
        case .malformed(let name):
            return "hook name \"\(name)\" is not of the form blocks.{L}.hook_{resid_pre|resid_mid|resid_post|attn_out|mlp_out}"
        case .unknownSite(let name, let site):
            return "hook name \"\(name)\": unknown site \"\(site)\" (expected hook_resid_pre, hook_resid_mid, hook_resid_post, hook_attn_out or hook_mlp_out)"
        }
    }
}
