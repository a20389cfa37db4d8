/// Token (and GPT-2 learned position) embedding: llm.c's `encoder_forward` / `encoder_backward`.
enum EmbeddingLookup {
    /// `out[b, t] = wte[tokens[b, t]] (+ wpe[t])`.
    /// - Parameters:
    ///   - tokens: (B, T) token ids, all in `0..<V`.
    ///   - wte: (V, C) token embedding.
    ///   - wpe: (P, C) position embedding (P ≥ T), or nil for rotary models.
    ///   - out: (B*T, C), written.
    static func forward(
        tokens: UnsafePointer<Int32>, wte: UnsafePointer<Float>, wpe: UnsafePointer<Float>?,
        out: UnsafeMutablePointer<Float>, batch: Int, context t: Int, channels c: Int
    ) {
        for n in 0..<(batch * t) {
            let dst = out + n * c
            let tok = wte + Int(tokens[n]) * c
            if let wpe {
                let pos = wpe + (n % t) * c
                for j in 0..<c { dst[j] = tok[j] + pos[j] }
            } else {
                dst.update(from: tok, count: c)
            }
        }
    }

    /// Scatter-adds `dOut` into the embedding gradients: `dwte[tokens[b, t]] += dOut[b, t]`,
    /// `dwpe[t] += dOut[b, t]`.
    /// - Parameters:
    ///   - dOut: (B*T, C) gradient of the embedding output.
    ///   - dwte: (V, C), added to. dwpe: (P, C), added to, or nil.
    static func backward(
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
