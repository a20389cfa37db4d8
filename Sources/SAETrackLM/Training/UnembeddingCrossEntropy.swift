import Foundation
import SAETrackCore

/// The unembedding `logits = x · Wᵀ` fused with the mean next-token cross-entropy, forward and backward.
///
///     loss = (1/K) Σ_{n with a target} [ logsumexp(logits[n]) − logits[n, target[n]] ]
///     dlogits[n] = (softmax(logits[n]) − onehot(target[n])) / K
///
/// where K counts the positions that have a target (a row's last position has none: rows are
/// scored like transformers' `labels=input_ids`). Rows are processed in chunks so the (N, V) logits
/// never exist at once: each chunk's logits are computed, turned into dlogits and consumed by the two
/// backward matmuls before the next chunk — a Pythia vocabulary costs one (rows, V) scratch block.
enum UnembeddingCrossEntropy {
    /// Floats of logits held at once (128 MB). Each chunk re-reads and re-writes the whole (V, C)
    /// weight gradient, so for a 50k vocabulary few large chunks beat many cache-sized ones.
    static let chunkBudget = 1 << 25

    /// Rows per chunk for `rows` positions and a `vocab`-wide head; the scratch holds `chunkRows · vocab` floats.
    /// The rows are split into equal chunks (at most the budget each), so the last is never a sliver.
    static func chunkRows(rows n: Int, vocab v: Int) -> Int {
        let most = max(1, min(n, chunkBudget / max(v, 1)))
        let chunks = (n + most - 1) / most
        return (n + chunks - 1) / chunks
    }

    /// Forward and backward.
    /// - Parameters:
    ///   - x: (N, C) final-LayerNorm output.
    ///   - weight: (V, C) unembedding.
    ///   - targets: (N) next-token ids, or −1 where a position has no target.
    ///   - dx: (N, C) written: gradient of `x`; nil for a loss-only forward.
    ///   - dWeight: (V, C) added to; nil for a loss-only forward.
    ///   - logits: (N, V) written with every logit when given (tests and evaluation).
    ///   - scratch: (chunkRows, V) work space, see ``chunkRows(rows:vocab:)``.
    /// - Returns: the mean cross-entropy over positions with a target.
    @discardableResult
    static func run(
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
        dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?,
        logits allLogits: UnsafeMutablePointer<Float>? = nil, scratch: UnsafeMutablePointer<Float>,
        rows n: Int, channels c: Int, vocab v: Int
    ) -> Float {
        var counted = 0
        for i in 0..<n where targets[i] >= 0 { counted += 1 }
        let invCount = 1 / Float(max(counted, 1))
        let chunk = chunkRows(rows: n, vocab: v)
        var rowLoss = [Double](repeating: 0, count: n)          // (N)
        rowLoss.withUnsafeMutableBufferPointer { lossBuffer in
            for start in stride(from: 0, to: n, by: chunk) {
                let rows = min(chunk, n - start)
                let z = allLogits.map { $0 + start * v } ?? scratch
                // logits (rows, V) = x (rows, C) · Wᵀ (C, V)
                BLAS.gemm(.none, .transposed, m: rows, n: v, k: c, a: x + start * c, lda: c,
                          b: weight, ldb: c, c: z, ldc: v)
                let wantsGradient = dx != nil
                let g = scratch      // dlogits (rows, V), may alias z
                Parallel.forEachChunk(rows, minChunk: max(1, 8192 / max(v, 1))) { range in
                    for r in range {
                        let zr = z + r * v, gr = g + r * v
                        let target = Int(targets[start + r])
                        guard target >= 0 else {
                            lossBuffer[start + r] = 0
                            if wantsGradient { gr.update(repeating: 0, count: v) }
                            continue
                        }
                        let m = SIMDMath.max(zr, v)
                        let zTarget = zr[target]
                        let sum = Self.expSum(zr, minus: m, into: wantsGradient ? gr : nil, count: v)
                        if wantsGradient {
                            // gr holds exp(z − m) (gr may alias zr); scale to softmax / K, subtract the target
                            Self.scale(gr, by: invCount / sum, count: v)
                            gr[target] -= invCount
                        }
                        lossBuffer[start + r] = Double(logf(sum) + m - zTarget)
                    }
                }
                guard let dx, let dWeight else { continue }
                // dx (rows, C) = dlogits (rows, V) · W (V, C)
                BLAS.gemm(.none, .none, m: rows, n: c, k: v, a: g, lda: v, b: weight, ldb: c,
                          c: dx + start * c, ldc: c)
                // dW (V, C) += dlogitsᵀ (V, rows) · x (rows, C)
                BLAS.gemm(.transposed, .none, m: v, n: c, k: rows, a: g, lda: v, b: x + start * c, ldb: c,
                          beta: 1, c: dWeight, ldc: c)
            }
        }
        return Float(rowLoss.reduce(0, +) / Double(max(counted, 1)))
    }

    /// Σ_j exp(z[j] − m); with `out`, also writes each exp(z[j] − m) there (`out` may be `z`).
    @inline(__always)
    static func expSum(_ z: UnsafePointer<Float>, minus m: Float, into out: UnsafeMutablePointer<Float>?,
                       count v: Int) -> Float {
        SIMDMath.expSum(z, minus: m, into: out, count: v)
    }

    /// x[j] ← a · x[j] over `count` elements.
    @inline(__always)
    static func scale(_ x: UnsafeMutablePointer<Float>, by a: Float, count v: Int) {
        SIMDMath.scale(x, by: a, count: v)
    }
}
