import SAETrackCore

/// What a hook visitor wants after seeing (and possibly replacing) one hook's activations.
public enum HookVisit: Sendable {
    /// Keep running the model.
    case proceed
    /// Stop the forward pass here (the caller has what it needs).
    case stop
}

/// Called at every hook point with the activations there, (B*T, C); the visitor may read them,
/// replace them in place (the model continues from the replaced values), or stop the pass.
public typealias HookVisitor = (HookPoint, inout Matrix) -> HookVisit

/// One pre-LN transformer block, sequential (GPT-2, GPT-NeoX with `use_parallel_residual=false`)
/// or parallel (Pythia):
///
///     sequential:  mid = x + attn(ln1(x));  out = mid + mlp(ln2(mid))
///     parallel:    mid = x + attn(ln1(x));  out = mid + mlp(ln2(x))      (both LNs read x)
public struct TransformerBlock: Sendable {
    /// How attention and MLP feed the residual stream.
    public enum Residual: Sendable { case sequential, parallel }

    /// Index of this block (for hook names).
    public let layer: Int
    /// LayerNorm before attention (GPT-2 ln_1, GPT-NeoX input_layernorm).
    public let ln1: LayerNormWeights
    /// LayerNorm before the MLP (GPT-2 ln_2, GPT-NeoX post_attention_layernorm).
    public let ln2: LayerNormWeights
    /// The self-attention sub-layer.
    public let attention: Attention
    /// The feed-forward sub-layer.
    public let mlp: MLP
    /// Sequential or parallel residual.
    public let residual: Residual

    public init(layer: Int, ln1: LayerNormWeights, ln2: LayerNormWeights, attention: Attention, mlp: MLP, residual: Residual) {
        self.layer = layer
        self.ln1 = ln1
        self.ln2 = ln2
        self.attention = attention
        self.mlp = mlp
        self.residual = residual
    }

    /// Runs the block on the residual stream `x` (B*T, C) in place, offering `visit` the hooks
    /// attn_out, resid_mid, mlp_out and resid_post in that order (resid_pre is the caller's).
    /// Returns `.stop` as soon as the visitor does, leaving `x` at an unspecified stage.
    public func forward(_ x: inout Matrix, rows: Int, context: Int, visit: HookVisitor) -> HookVisit {
        var attnOut = attention(ln1(x), rows: rows, context: context)            // (B*T, C)
        if visit(.attnOut(layer), &attnOut) == .stop { return .stop }
        switch residual {
        case .sequential:
            Self.add(attnOut, to: &x)                                            // x = resid_mid
            if visit(.residMid(layer), &x) == .stop { return .stop }
            var mlpOut = mlp(ln2(x))                                             // (B*T, C)
            if visit(.mlpOut(layer), &mlpOut) == .stop { return .stop }
            Self.add(mlpOut, to: &x)                                             // x = resid_post
        case .parallel:
            Self.add(x, to: &attnOut)                                            // attnOut = resid_mid (no copy of x)
            if visit(.residMid(layer), &attnOut) == .stop { return .stop }
            var mlpOut = mlp(ln2(x))                                             // MLP reads resid_pre
            if visit(.mlpOut(layer), &mlpOut) == .stop { return .stop }
            Self.add(mlpOut, to: &attnOut)
            x = attnOut                                                          // x = resid_post
        }
        return visit(.residPost(layer), &x)
    }

    /// y ← y + a, both (N, C).
    static func add(_ a: Matrix, to y: inout Matrix) {
        precondition(a.rows == y.rows && a.cols == y.cols, "TransformerBlock: adding (\(a.rows), \(a.cols)) to (\(y.rows), \(y.cols))")
        a.withUnsafeBufferPointer { pa in
            y.withUnsafeMutableBufferPointer { py in
                let (src, dst) = (pa.baseAddress!, py.baseAddress!)
                Parallel.forEachChunk(pa.count, minChunk: 65536) { range in
                    for i in range { dst[i] += src[i] }
                }
            }
        }
    }
}
