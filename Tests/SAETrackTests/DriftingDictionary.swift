import Foundation
@testable import SAETrack

/// Test activations with a known ground truth: `features` unit directions in R^dIn that rotate
/// a little from checkpoint to checkpoint (a "training" LM's features drifting), each token a
/// sparse non-negative combination of them. Seeded, so every call returns the same matrices.
struct DriftingDictionary: CheckpointActivationProvider {
    var dIn = 16
    var features = 24
    var trainRows = 4096
    var evalRows = 512
    var activePerToken = 3
    /// Rotation per checkpoint index, as the interpolation weight toward a second random dictionary.
    var driftPerCheckpoint: Float = 0.12
    var seed: UInt64 = 7
    /// The same training "tokens" at every checkpoint (as an LM series gives, and a crosscoder
    /// needs); false draws new ones per checkpoint.
    var sameTrainTokens = false

    private func directions(_ seed: UInt64) -> [[Float]] {
        var rng = SeededRandom(seed: seed)
        return (0..<features).map { _ in
            var v = (0..<dIn).map { _ in rng.normal() }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for j in v.indices { v[j] /= n }
            return v
        }
    }

    /// The dictionary at checkpoint index `k`: normalised (1 − t)·A + t·B with t = drift·k.
    func dictionary(checkpointIndex k: Int) -> [[Float]] {
        let a = directions(seed), b = directions(seed &+ 1)
        let t = min(1, driftPerCheckpoint * Float(k))
        return zip(a, b).map { u, v in
            var w = zip(u, v).map { (1 - t) * $0 + t * $1 }
            let n = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for j in w.indices { w[j] /= n }
            return w
        }
    }

    /// Which features each row uses and with what coefficient (seeded; independent of the checkpoint).
    private func draws(rows: Int, seed: UInt64) -> [[(feature: Int, coefficient: Float)]] {
        var rng = SeededRandom(seed: seed)
        return (0..<rows).map { _ in (0..<activePerToken).map { _ in (rng.int(below: features), 0.5 + rng.uniform() * 1.5) } }
    }

    private func sample(rows: Int, dictionary: [[Float]], seed: UInt64) -> Matrix {
        var m = Matrix(rows: rows, cols: dIn)                       // (rows, d_in)
        let d = draws(rows: rows, seed: seed)
        m.withUnsafeMutableBufferPointer { p in
            for r in 0..<rows {
                for (f, c) in d[r] { for j in 0..<dIn { p[r * dIn + j] += c * dictionary[f][j] } }
            }
        }
        return m
    }

    /// Ground truth of the evaluation rows: for features 0..<count, 1 where the feature is present.
    /// The evaluation rows are the same "tokens" at every checkpoint; only the dictionary drifts.
    func evaluationInputs(labelled count: Int = 4) -> EvaluationInputs {
        let d = draws(rows: evalRows, seed: seed &+ 10_000)
        let labels = (0..<count).map { f in
            EvaluationInputs.Label(name: "feature \(f)", kind: "token", mask: d.map { row in row.contains { $0.feature == f } ? 1 : 0 })
        }
        return EvaluationInputs(tokens: (0..<evalRows).map { Int32($0 % 50) }, context: 16, labels: labels)
    }

    func activations(step: Int, checkpoint: URL) throws -> CheckpointActivations {
        let k = Int(checkpoint.lastPathComponent.dropFirst(4)) ?? 0        // "step{k}": k is the index here
        let dict = dictionary(checkpointIndex: k)
        return CheckpointActivations(train: sample(rows: trainRows, dictionary: dict, seed: seed &+ UInt64(100 + (sameTrainTokens ? 0 : k))),
                                     eval: sample(rows: evalRows, dictionary: dict, seed: seed &+ 10_000))
    }
}
