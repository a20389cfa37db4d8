import SAETrackCore

/// Token embedding plus, for GPT-2, learned absolute positions:
///
///     x[b, t] = W_E[token[b, t]] (+ W_pos[t])          (B*T, C)
package enum Embedding {
    /// The embedding kernel (llm.c's `encoder_forward`): `out[b, t] = wte[tokens[b, t]] (+ wpe[t])`.
    /// Row-parallel.
    /// - Parameters:
    ///   - tokens: (B, T) token ids, all in `0..<V`.
    ///   - wte: (V, C) token embedding.
    ///   - wpe: (P, C) position embedding (P ≥ T), or nil for rotary models.
    ///   - out: (B*T, C), written.
    package static func forward(
        tokens: UnsafePointer<Int32>, wte: UnsafePointer<Float>, wpe: UnsafePointer<Float>?,
        out: UnsafeMutablePointer<Float>, batch: Int, context t: Int, channels c: Int
    ) {
        Parallel.forEachChunk(batch * t, minChunk: 256) { range in
            for n in range {
                let dst = out + n * c
                dst.update(from: wte + Int(tokens[n]) * c, count: c)
                if let wpe {
                    let pos = wpe + (n % t) * c
                    for j in 0..<c { dst[j] += pos[j] }
                }
            }
        }
    }

    /// The embedding backward (llm.c's `encoder_backward`): scatter-adds `dOut` into the
    /// gradients, `dwte[tokens[b, t]] += dOut[b, t]`, `dwpe[t] += dOut[b, t]`. Serial, because
    /// repeated tokens add into the same row.
    /// - Parameters:
    ///   - dOut: (B*T, C) gradient of the embedding output.
    ///   - dwte: (V, C), added to. dwpe: (P, C), added to, or nil.
    package static func backward(
        dOut: UnsafePointer<Float>, tokens: UnsafePointer<Int32>,
        dwte: UnsafeMutablePointer<Float>, dwpe: UnsafeMutablePointer<Float>?,
        batch: Int, context t: Int, channels c: Int
    ) {
        for n in 0..<(batch * t) {
            let src = dOut + n * c
            let tok = dwte + Int(tokens[n]) * c
            for j in 0..<c { tok[j] += src[j] }
            if let dwpe {
                let pos = dwpe + (n % t) * c
                for j in 0..<c { pos[j] += src[j] }
            }
        }
    }
}
