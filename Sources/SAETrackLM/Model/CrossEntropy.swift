import Foundation
import SAETrackCore

/// Cross-entropy of logits against target ids, as `torch.nn.functional.cross_entropy` computes it:
///
///     loss[i] = log Σ_v exp(logits[i, v]) − logits[i, target[i]]   (max-subtracted, float32)
public enum CrossEntropy {
    /// Per-row losses.
    /// - Parameters:
    ///   - logits: (rows, vocab) unnormalised scores.
    ///   - targets: (rows) ids in `0..<vocab`.
    ///   - losses: (rows) written.
    public static func forward(logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
                               losses: UnsafeMutablePointer<Float>, rows: Int, vocab: Int) {
        Parallel.forEachChunk(rows, minChunk: max(1, 16384 / max(vocab, 1))) { range in
            for r in range {
                let z = logits + r * vocab                                           // (vocab)
                let m = SIMDMath.max(z, vocab)
                let sum = UnembeddingCrossEntropy.expSum(z, minus: m, into: nil, count: vocab)   // 8-lane exp
                losses[r] = logf(sum) + m - z[Int(targets[r])]
            }
        }
    }
}
