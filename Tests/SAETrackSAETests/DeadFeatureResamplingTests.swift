import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackSAE

/// Dead-feature resampling (Docs/Method.md §5.5. against the numpy oracle of
/// Tests/Fixtures/sae/generate_resampling.py, and its effect inside a trainer.
struct DeadFeatureResamplingTests {
    @Test("silent features, per-row losses and the re-initialised tensors and Adam moments match numpy")
    func matchesNumpyOracle() throws {
        try Threads.withCount(1) {
            let f = try Fixtures.file("resampling.safetensors")
            let sae = try Fixtures.sae(f)
            let x = try f.matrix("x")
            let (codes, xHat) = sae.encodeAndReconstruct(x)
            let dead = DeadFeatureResampler.silentFeatures(codes)
            #expect(dead == (try Fixtures.deadFeatures(f)))
            // float32 forward against numpy's float64: relative 1e-5 is ~100 ulp of these O(1) sums.
            #expect(maxRelativeError(DeadFeatureResampler.rowLosses(x, xHat), try f.floats("losses")) < 1e-5)

            var p = SAEParameters(sae)
            var adam = Adam(dIn: sae.dIn, dSAE: sae.dSAE)
            adam.m = SAEParameters(wEncT: try f.matrix("m_W_enc"), bEnc: try f.floats("m_b_enc"),
                                   wDec: try f.matrix("m_W_dec"), bDec: try f.floats("m_b_dec"))
            adam.v = SAEParameters(wEncT: try f.matrix("v_W_enc"), bEnc: try f.floats("v_b_enc"),
                                   wDec: try f.matrix("v_W_dec"), bDec: try f.floats("v_b_dec"))
            let rows = try f.floats("rows").map { Int($0) }
            DeadFeatureResampler.reinitialise(&p, moments: &adam, features: dead, inputs: x, rows: rows,
                                              encoderScale: Fixtures.scalar(f, "encoder_scale"))
            let out = p.autoencoder()
            // Norms and quotients in float32 vs float64: 1e-5 relative covers the rounding of a 6-term dot.
            #expect(maxRelativeError(out.wEnc.storage, try f.matrix("expected_W_enc").storage) < 1e-5)
            #expect(maxRelativeError(out.wDec.storage, try f.matrix("expected_W_dec").storage) < 1e-5)
            #expect(out.bEnc == (try f.floats("expected_b_enc")))
            #expect(out.bDec == sae.bDec)
            for (name, t) in [("m", adam.m), ("v", adam.v)] {
                // Moments are either copied or set to exactly 0: exact equality.
                #expect(t.wEncT.storage == (try f.matrix("expected_\(name)_W_enc")).storage)
                #expect(t.wDec.storage == (try f.matrix("expected_\(name)_W_dec")).storage)
                #expect(t.bEnc == (try f.floats("expected_\(name)_b_enc")))
                #expect(t.bDec == (try f.floats("expected_\(name)_b_dec")))
            }
            // Each resampled feature fires on the row it was set to.
            let after = out.encode(x).dense()
            for (i, r) in zip(dead, rows) { #expect(after[r, Int(i)] > 0) }
        }
    }

    @Test("rows are drawn with probability ∝ loss²; a zero-loss row is never drawn")
    func drawsProportionalToSquaredLoss() {
        let losses: [Float] = [1, 0, 2, 1]                      // weights 1, 0, 4, 1 → p = 1/6, 0, 2/3, 1/6
        let n = 60_000
        let rows = DeadFeatureResampler.drawRows(losses: losses, count: n, seed: 7)
        var counts = [Int](repeating: 0, count: losses.count)
        for r in rows { counts[r] += 1 }
        #expect(counts[1] == 0)
        // Binomial std of a frequency at p ≤ 2/3 over 60k draws is ≤ 0.002; 0.01 is 5 std.
        #expect(abs(Double(counts[0]) / Double(n) - 1.0 / 6) < 0.01)
        #expect(abs(Double(counts[2]) / Double(n) - 2.0 / 3) < 0.01)
        #expect(abs(Double(counts[3]) / Double(n) - 1.0 / 6) < 0.01)
        #expect(DeadFeatureResampler.drawRows(losses: [0, 0, 0], count: 100, seed: 1).allSatisfy { (0..<3).contains($0) })
    }

    @Test("a warm-started trainer resamples its silent features at step 0; they fire on their inputs and have fresh moments")
    func trainerResamplesAtStageStart() throws {
        try Threads.withCount(2) {
            let data = plantedDictionaryData(samples: 2048, dIn: 16, atoms: 24, active: 3, seed: 5)
            var initial = SAEParameters.kaimingUniform(dIn: 16, dSAE: 48, seed: 3).autoencoder()
            let killed: [Int32] = [0, 7, 8, 30, 47]
            for i in killed { initial.bEnc[Int(i)] = -1000 }
            var config = SAETrainingConfig(dIn: 16, dSAE: 48, steps: 5)
            config.batchSize = 128
            config.lr = 1e-3
            config.warmupSteps = 1
            config.resampling = DeadFeatureResampling(steps: [0], samples: 512)
            let source = InMemoryActivations(data.x, shuffled: false)            // the sample is rows 0..<512
            let trainer = try SAETrainer(config: config, initial: initial, source: source)
            try trainer.resampleDeadFeatures(config.resampling!)
            let silent = DeadFeatureResampler.silentFeatures(initial.encode(data.x.rows(0..<512)))
            #expect(trainer.lastResampled == silent)
            #expect(Set(killed).isSubset(of: Set(trainer.lastResampled)))
            let sae = trainer.sae
            let norms = sae.decoderRowNorms()
            let codes = sae.encode(data.x.rows(0..<512)).dense()
            for f in trainer.lastResampled {
                let i = Int(f)
                #expect(abs(norms[i] - 1) < 1e-5)                                   // unit decoder row
                #expect(trainer.parameters.bEnc[i] == 0)
                #expect(trainer.optimizer.m.wDec.row(i).allSatisfy { $0 == 0 })
                #expect(trainer.optimizer.v.wEncT.row(i).allSatisfy { $0 == 0 })
                // Its decoder row is the direction of some sample row minus b_dec, and it fires there.
                var best: (cos: Float, row: Int) = (-2, -1)
                for r in 0..<512 {
                    var u = data.x.row(r); for j in 0..<16 { u[j] -= sae.bDec[j] }
                    let n = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    let c = (0..<16).reduce(Float(0)) { $0 + u[$1] * sae.wDec[i, $1] } / n
                    if c > best.cos { best = (c, r) }
                }
                #expect(best.cos > 0.9999)
                #expect(codes[best.row, i] > 0)
            }
            // Features that were alive keep their weights.
            let kept = (0..<48).filter { !trainer.lastResampled.contains(Int32($0)) }
            for i in kept { #expect(trainer.parameters.wEncT.row(i) == SAEParameters(initial).wEncT.row(i)) }
            // Training then proceeds through the configured step-0 resampling without error.
            let t2 = try SAETrainer(config: config, initial: initial, source: InMemoryActivations(data.x, shuffled: false))
            _ = try t2.train()
            #expect(t2.lastResampled == silent)
        }
    }

    @Test("configs without the resampling key decode to none; bad options are refused by name")
    func decodingAndValidation() throws {
        var c = SAETrainingConfig(dIn: 4, dSAE: 8, steps: 10)
        let data = try JSONEncoder().encode(c)
        var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(json["dead_feature_resampling"] == nil)
        json.removeValue(forKey: "dead_feature_resampling")
        let decoded = try JSONDecoder().decode(SAETrainingConfig.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(decoded.resampling == nil)
        c.resampling = DeadFeatureResampling(steps: [0, -1], samples: 0)
        #expect(throws: SAETrainingError.self) { try c.validate() }
        do { try c.validate() } catch { #expect("\(error)".contains("resampling steps")); #expect("\(error)".contains("samples")) }
        c.resampling = DeadFeatureResampling(steps: [0, 5])
        let round = try JSONDecoder().decode(SAETrainingConfig.self, from: JSONEncoder().encode(c))
        #expect(round.resampling == c.resampling)
    }
}
