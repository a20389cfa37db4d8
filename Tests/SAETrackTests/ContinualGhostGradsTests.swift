import Foundation
import Testing
import SAETrackCore
import SAETrackSAE
@testable import SAETrack

/// Ghost grads in continual stages (`TrackSettings.continualDeadFeatureWindow`, Docs/Method.md §5.6):
/// a warm-started stage whose inputs lost most of their directions. Features tuned to the vanished
/// directions never fire again, so without a finite window their gradient is exactly zero and they
/// stay dead; with one, the ghost loss reaches them after `window` silent steps and revives them.
struct ContinualGhostGradsTests {
    /// Rows of d = 32 whose first `active` coordinates are each present with probability 0.2 at a
    /// magnitude in [1, 2] (the other coordinates are 0).
    static func activations(rows: Int, active: Int, seed: UInt64) -> Matrix {
        let d = 32
        var rng = SeededRandom(seed: seed)
        var storage = [Float](repeating: 0, count: rows * d)
        for r in 0..<rows {
            for k in 0..<active where rng.uniform() < 0.2 { storage[r * d + k] = rng.uniform(1, 2) }
        }
        return Matrix(rows: rows, cols: d, storage: storage)
    }

    /// The previous stage's SAE. Feature i < 8 detects coordinate i (W_enc = W_dec = e_i, b_enc = −0.5);
    /// feature i ≥ 8 points along u_i = (e_i + ½·e_{i mod 8}) / ‖·‖ with b_enc = −1, so on inputs
    /// without coordinate i its pre-activation is at most ½·2/‖·‖ − 1 < 0: it never fires there.
    static var coordinateSAE: SparseAutoencoder {
        let d = 32
        var w = Matrix(rows: d, cols: d)                    // (d_in, d_sae) = W_enc; W_dec is its transpose
        var bEnc = [Float](repeating: -0.5, count: d)
        for i in 0..<d {
            if i < 8 { w[i, i] = 1; continue }
            let n = Float(1.25).squareRoot()
            w[i, i] = 1 / n; w[i % 8, i] = 0.5 / n; bEnc[i] = -1
        }
        var wDec = Matrix(rows: d, cols: d)
        for i in 0..<d { for j in 0..<d { wDec[i, j] = w[j, i] } }
        return SparseAutoencoder(wEnc: w, bEnc: bEnc, wDec: wDec, bDec: [Float](repeating: 0, count: d))
    }

    static func settings(window: Int?) -> TrackSettings {
        var s = TrackSettings(firstSteps: 300, continualSteps: 120)
        s.dSAE = 32; s.batchSize = 256; s.firstLR = 4e-3; s.continualLR = 1e-3; s.firstWarmup = 20
        s.l1Coefficient = 1e-3; s.bDecInitSamples = 2048; s.logEvery = 10
        s.continualDeadFeatureWindow = window
        return s
    }

    static func deadFraction(_ sae: SparseAutoencoder, _ x: Matrix) -> Double {
        StageEvaluation.evaluate(sae, on: x, l1Coefficient: 0).0.deadFraction
    }

    @Test("a continual stage with a finite dead window revives the features its inputs stopped using; the paper's window leaves them dead")
    func continualWindowRevives() throws {
        // The inputs keep 8 of their 32 coordinates: features 8..<32 never fire on them again.
        let after = Self.activations(rows: 8192, active: 8, seed: 2), afterEval = Self.activations(rows: 4096, active: 8, seed: 3)
        let stage0 = Self.coordinateSAE
        let deadAtStart = Self.deadFraction(stage0, afterEval)

        var results: [Int?: (dead: Double, ghostSteps: Int, firstGhost: Int?)] = [:]
        for window in [nil, 3] as [Int?] {
            let continual = Self.settings(window: window).stageConfigs(dIn: 32).continual
            let trainer = try SAETrainer(config: continual, initial: stage0, source: InMemoryActivations(after, seed: 2))
            var ghostSteps = 0, firstGhost: Int?
            while trainer.step < continual.steps {
                let s = trainer.step
                let terms = try trainer.trainStep()
                if terms.ghost > 0 { ghostSteps += 1; firstGhost = firstGhost ?? s }
            }
            results[window] = (Self.deadFraction(trainer.sae, afterEval), ghostSteps, firstGhost)
        }
        print("continual ghost grads: dead at start \(deadAtStart), paper window \(results[nil]!), window 3 \(results[3]!)")
        #expect(deadAtStart == 0.75)                                 // the shift really kills features
        #expect(results[nil]!.ghostSteps == 0)                      // the paper's 1e11 window never fires
        #expect(results[nil]!.dead >= deadAtStart - 1e-9)           // zero gradient: nothing comes back
        // Silent for more than 3 steps: step 4 (0-based) is the first with ghost grads.
        #expect(results[3]!.firstGhost == 4)
        #expect(results[3]!.ghostSteps > 0)
        #expect(results[3]!.dead <= 0.1)
    }

    @Test("the demo preset uses the window in continual stages only; paper and old settings keep the 1e11 window")
    func presets() throws {
        let demo = TrackSettings.demo.stageConfigs(dIn: 8)
        #expect(demo.continual.deadFeatureWindow == 3 && demo.continual.ghostGrads)
        #expect(demo.first.deadFeatureWindow == 5000)
        #expect(TrackSettings.paper.stageConfigs(dIn: 8).continual.deadFeatureWindow == 100_000_000_000)
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(TrackSettings.demo)) as! [String: Any]
        #expect(json["continualDeadFeatureWindow"] as? Int == 3)
        json.removeValue(forKey: "continualDeadFeatureWindow")
        let old = try JSONDecoder().decode(TrackSettings.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.continualDeadFeatureWindow == nil)
        #expect(old.stageConfigs(dIn: 8).continual.deadFeatureWindow == 100_000_000_000)
    }
}
