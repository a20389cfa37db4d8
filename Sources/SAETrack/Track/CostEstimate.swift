import Foundation
import SAETrackCore
import SAETrackSAE

/// The cost line printed before a long run: steps, tokens, epochs of the data, and a time
/// estimate from a short measured probe, e.g.
/// `73243 steps × 4096 tokens = 300M tokens (12.3 epochs of 24.4M training tokens)`.
public enum CostEstimate {
    /// Steps, tokens and epochs (tokens ÷ `dataTokens`, when known).
    public static func line(steps: Int, batchSize: Int, dataTokens: Int) -> String {
        let tokens = steps * batchSize
        var s = "\(steps) steps × \(batchSize) tokens = \(compact(Double(tokens))) tokens"
        if dataTokens > 0 {
            s += String(format: " (%.3g epochs of %@ training tokens)", Double(tokens) / Double(dataTokens), compact(Double(dataTokens)))
        }
        return s
    }

    /// `1234` → `1.2k`, `3e8` → `300M`.
    public static func compact(_ x: Double) -> String {
        switch x {
        case 1e9...: return String(format: "%.3gG", x / 1e9)
        case 1e6...: return String(format: "%.3gM", x / 1e6)
        case 1e4...: return String(format: "%.3gk", x / 1e3)
        default: return String(format: "%.0f", x)
        }
    }

    /// A duration in words: `42 s`, `12 min`, `23.3 h (1400 min)`.
    public static func duration(_ seconds: Double) -> String {
        switch seconds {
        case ..<90: return String(format: "%.0f s", seconds)
        case ..<5400: return String(format: "%.0f min", seconds / 60)
        default: return String(format: "%.1f h (%.0f min)", seconds / 3600, seconds / 60)
        }
    }

    /// Estimated seconds per SAE training step of `config` at steady-state sparsity: the measured
    /// time of the dense encoder GEMM ((batch, d_in) × (d_in, d_sae), timed on up to 512 rows of
    /// random data and scaled to the batch) times 1.3, the trainer's design bound for a whole step
    /// relative to that GEMM (Docs/Performance.md). The first steps of a fresh SAE, while half its
    /// features fire, run slower. Takes well under a second at the paper's sizes.
    public static func measureSAEStep(_ config: SAETrainingConfig) -> Double {
        let rows = min(config.batchSize, 512)
        var rng = SeededRandom(seed: 7)
        var x = Matrix(rows: rows, cols: config.dIn)
        x.withUnsafeMutableBufferPointer { rng.fillNormal($0, mean: 0, std: 1) }
        var w = Matrix(rows: config.dIn, cols: config.dSAE)
        w.withUnsafeMutableBufferPointer { rng.fillNormal($0, mean: 0, std: 0.01) }
        _ = BLAS.matmul(x, w)                                        // warm-up (allocation, pool)
        let start = Date()
        _ = BLAS.matmul(x, w)                                        // (rows, d_sae)
        let gemm = Date().timeIntervalSince(start)
        return 1.3 * gemm * Double(config.batchSize) / Double(rows)
    }
}
