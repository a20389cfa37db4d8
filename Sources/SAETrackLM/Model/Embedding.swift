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
                let (src, dst) = (wte.baseAddress!, px.baseAddress!)
                ids.withUnsafeBufferPointer { idp in
                    Parallel.forEachChunk(rows * context, minChunk: 256) { range in
                        for n in range { (dst + n * C).update(from: src + Int(idp[n]) * C, count: C) }
                    }
                }
            }
        }
        if let positions {
            positions.withUnsafeBufferPointer { wpe in
                x.withUnsafeMutableBufferPointer { px in
                    let (src, dst) = (wpe.baseAddress!, px.baseAddress!)
                    Parallel.forEachChunk(rows * context, minChunk: 256) { range in
                        for n in range {
                            let (xr, pr) = (dst + n * C, src + (n % context) * C)
                            for c in 0..<C { xr[c] += pr[c] }
                        }
                    }
                }
            }
        }
        return x
    }
}
