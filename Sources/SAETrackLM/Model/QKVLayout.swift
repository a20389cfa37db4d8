/// Where each head's query, key and value columns sit in a fused (B*T, 3C) QKV projection output.
///
///     .blocked      (GPT-2 c_attn):               [ Q(all heads) | K(all heads) | V(all heads) ]
///                   head h: q at h·hd,  k at C + h·hd,  v at 2C + h·hd
///     .interleaved  (GPT-NeoX query_key_value):   [ h0: q k v | h1: q k v | … ]   (weight viewed (H, 3, hd, C))
///                   head h: q at 3h·hd, k at 3h·hd + hd, v at 3h·hd + 2hd
///
/// Attention and rotary read the fused buffer through these offsets (row stride 3C), so neither
/// layout is ever permuted and gradients come back in the checkpoint's own layout.
package enum QKVLayout: Sendable {
    case blocked
    case interleaved

    /// Column offsets of head `head`'s q, k and v (each `headDim` wide) within a 3·`dModel` row.
    @inline(__always)
    package func offsets(head: Int, headDim: Int, dModel: Int) -> (q: Int, k: Int, v: Int) {
        switch self {
        case .blocked: return (head * headDim, dModel + head * headDim, 2 * dModel + head * headDim)
        case .interleaved:
            let base = 3 * head * headDim
            return (base, base + headDim, base + 2 * headDim)
        }
    }
}
