import SAETrackCore

/// Token embedding plus, for GPT-2, learned absolute positions:
///
///     x[b, t] = W_E[token[b, t]] (+ W_pos[t])          (B*T, C)
public struct Embedding: Sendable {
    /// (V, C) token embedding (GPT-2 `wte`, GPT-NeoX `embed_in`).
    public let tokens: Matrix
    /// (P, C) position embedding (GPT-2 `wpe`), nil for rotary models.
    public let positions: Matrix?

    public init(tokens: Matrix, positions: Matrix?) {
        precondition(positions == nil || positions!.cols == tokens.cols,
                     "Embedding: token width \(tokens.cols) ≠ position width \(positions!.cols)")
        self.tokens = tokens
        self.positions = positions
    }

    /// Embeds `rows` sequences of `context` ids (row-major): (rows·context, C).
    /// Ids must lie in `0..<V` and `context` within the position table (checked by the caller).
    public func callAsFunction(_ ids: [Int32], rows: Int, context: Int) -> Matrix {
        let C = tokens.cols
        var x = Matrix(rows: rows * context, cols: C)                                // (B*T, C)
        tokens.withUnsafeBufferPointer { wte in
            x.withUnsafeMutableBufferPointer { px in
                ids.withUnsafeBufferPointer { idp in
                    if let positions {
                        positions.withUnsafeBufferPointer { wpe in
                            Self.forward(tokens: idp.baseAddress!, wte: wte.baseAddress!, wpe: wpe.baseAddress!,
                                         out: px.baseAddress!, batch: rows, context: context, channels: C)
                        }
                    } else {
                        Self.forward(tokens: idp.baseAddress!, wte: wte.baseAddress!, wpe: nil,
                                     out: px.baseAddress!, batch: rows, context: context, channels: C)
                    }
                }
            }
        }
        return x
    }

    /// The embedding kernel (llm.c's `encoder_forward`): `out[b, t] = wte[tokens[b, t]] (+ wpe[t])`.
    /// Row-parallel. Shared by inference and training.
    /// - Parameters:
    ///   - tokens: (B, T) token ids, all in `0..<V`.
    ///   - wte: (V, C) token embedding.
    ///   - wpe: (P, C) position embedding (P ≥ T), or nil for rotary models.
    ///   - out: (B*T, C), written.
    public static func forward(
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
    public static func backward(
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
