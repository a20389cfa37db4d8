import Foundation
import SAETrackCore
import SAETrackLM
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

    /// A measured probe: seconds per unit of work and how many units were timed.
    public struct Probe: Sendable {
        public var secondsPerUnit: Double
        public var unitsTimed: Int
        public var probeSeconds: Double
    }

    /// Seconds per SAE training step of `config`, measured on real training steps: an
    /// `SAETrainer` with the run's settings and d_in, d_sae, architecture, ghost grads / AuxK
    /// trains on seeded Gaussian activations. A step's cost is a fixed part (Adam, decoder
    /// renormalisation: d_in × d_sae) plus a part linear in the batch (the GEMMs), so batches
    /// larger than `rows` are probed at `rows` / 2 and `rows` tokens and extrapolated linearly to
    /// the run's batch (≈ 1 s at the paper's 768 × 49152 on 2 cores, where one full step takes
    /// tens of seconds). Each size: one warm-up step (allocation, thread pool), then up to
    /// `maxSteps` timed steps within `budget` seconds. The SAE starts at a trained SAE's sparsity
    /// (`sparseStart`) with b_dec at zero (the geometric-median initialisation is a one-off
    /// cost); the first steps of a fresh SAE, while half its features fire, run slower.
    public static func probeSAESteps(_ config: SAETrainingConfig, rows: Int = 128, budget: Double = 0.4,
                                     maxSteps: Int = 3) throws -> Probe {
        let probeStart = Date()
        let initial = sparseStart(config)                                              // shared by both sizes
        func perStep(batch: Int) throws -> (seconds: Double, steps: Int) {
            var c = config
            c.batchSize = batch
            c.steps = maxSteps + 1
            c.bDecInit = .zeros
            c.saveEvery = 0
            c.decaySteps = 0
            var rng = SeededRandom(seed: 7)
            var x = Matrix(rows: batch, cols: c.dIn)                                   // (batch, d_in)
            x.withUnsafeMutableBufferPointer { rng.fillNormal($0, mean: 0, std: 1) }
            let trainer = try SAETrainer(config: c, initial: initial, source: InMemoryActivations(x, seed: 1, shuffled: false))
            _ = try trainer.trainStep()                                                // warm-up, not counted
            let start = Date()
            var timed = 0
            repeat {
                _ = try trainer.trainStep()
                timed += 1
            } while timed < maxSteps && Date().timeIntervalSince(start) < budget
            return (Date().timeIntervalSince(start) / Double(timed), timed)
        }
        let seconds: Double, timed: Int
        if config.batchSize <= rows {
            (seconds, timed) = try perStep(batch: config.batchSize)
        } else {
            let half = max(1, rows / 2)
            let (t1, n1) = try perStep(batch: half), (t2, n2) = try perStep(batch: rows)
            let slope = max(0, (t2 - t1) / Double(rows - half)), fixed = max(0, t2 - slope * Double(rows))
            seconds = slope > 0 ? fixed + slope * Double(config.batchSize) : t2 * Double(config.batchSize) / Double(rows)
            timed = n1 + n2
        }
        return Probe(secondsPerUnit: seconds, unitsTimed: timed, probeSeconds: Date().timeIntervalSince(probeStart))
    }

    /// Active features per token the probe's SAE runs at (ReLU and JumpReLU; TopK fixes its own).
    public static let probeActiveFeatures = 64

    /// The SAE a probe starts from: SAE-Track's seeded initialisation with each feature's encoder
    /// bias set to −z·‖W_enc[:, i]‖, so that on standard-normal inputs (pre-activation std
    /// ‖W_enc[:, i]‖) it fires with probability ``probeActiveFeatures`` / d_sae, the sparsity of a
    /// trained SAE: a fresh SAE's first steps, with half its features firing, are many times
    /// slower than a run's typical step and would not predict it. Nil for TopK (sparse by k).
    static func sparseStart(_ c: SAETrainingConfig) -> SparseAutoencoder? {
        guard c.architecture == .standard || c.architecture == .jumprelu else { return nil }
        var p = SAEParameters.kaimingUniform(dIn: c.dIn, dSAE: c.dSAE, seed: c.seed)
        let density = min(0.5, Double(probeActiveFeatures) / Double(c.dSAE))
        var lo = 0.0, hi = 10.0                                      // z with P(N(0,1) > z) = density
        for _ in 0..<60 { let mid = (lo + hi) / 2; if erfc(mid / 2.0.squareRoot()) / 2 > density { lo = mid } else { hi = mid } }
        let z = Float((lo + hi) / 2)
        p.wEncT.withUnsafeBufferPointer { w in
            for i in 0..<c.dSAE {
                var norm: Float = 0
                for j in 0..<c.dIn { norm += w[i * c.dIn + j] * w[i * c.dIn + j] }
                p.bEnc[i] = -z * norm.squareRoot()
            }
        }
        return p.autoencoder()
    }

    /// Seconds per token of the language model's forward pass to `hook`, measured on the first
    /// `probeTokens` tokens of `tokens` (one row, at most the model's context; after a warm-up
    /// call on 8 tokens). Linear in
    /// tokens: at long contexts attention adds a quadratic term the short probe underestimates.
    public static func probeLMForward(_ lm: TransformerLM, tokens: [Int32], hook: HookPoint, centered: Bool,
                                      probeTokens: Int = 128) -> Probe {
        let n = max(1, min(probeTokens, tokens.count, lm.config.contextLength))
        let probeStart = Date()
        _ = lm.activations(tokens: Array(tokens.prefix(min(8, n))), rows: 1, context: min(8, n), at: hook, centered: centered)
        let start = Date()
        _ = lm.activations(tokens: Array(tokens.prefix(n)), rows: 1, context: n, at: hook, centered: centered)  // (n, d_model)
        let now = Date()
        return Probe(secondsPerUnit: now.timeIntervalSince(start) / Double(n), unitsTimed: n,
                     probeSeconds: now.timeIntervalSince(probeStart))
    }
}
