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

    /// Seconds per SAE training step of `config`, measured on random activations: two steps are
    /// run, the second timed (the first includes allocation). Sub-second for the paper's sizes on
    /// 2 cores; its weights are thrown away.
    public static func measureSAEStep(_ config: SAETrainingConfig) throws -> Double {
        var probe = config
        probe.steps = 2
        probe.bDecInit = .zeros
        probe.saveEvery = 0
        probe.logEvery = 0
        probe.warmupSteps = 1
        var rng = SeededRandom(seed: 7)
        var acts = Matrix(rows: config.batchSize, cols: config.dIn)
        acts.withUnsafeMutableBufferPointer { rng.fillNormal($0, mean: 0, std: 1) }
        let trainer = try SAETrainer(config: probe, source: InMemoryActivations(acts, seed: 1))
        try trainer.trainStep()
        let start = Date()
        try trainer.trainStep()
        return Date().timeIntervalSince(start)
    }
}
