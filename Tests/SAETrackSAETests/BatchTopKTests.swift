import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackSAE

/// BatchTopK training against SAELens 6.54.12's `BatchTopKTrainingSAE` (Tests/Fixtures/sae/generate.py,
/// `saelens_batchtopk_case`): codes, loss terms, gradients, the running threshold, one Adam step, and
/// the JumpReLU SAE SAELens saves from it.
struct BatchTopKTests {
    func config(_ f: SafetensorsFile) -> SAETrainingConfig {
        var c = Fixtures.saeLensTrainingConfig(f, .batchtopk)
        c.k = Int(Fixtures.scalar(f, "k"))
        return c
    }

    @Test("BatchTopK codes (top k·B over the batch), MSE, AuxK and every gradient match sae_lens; one Adam step matches torch",
          arguments: ["batchtopk_auxk", "batchtopk_plain"])
    func objectiveMatchesSAELens(_ name: String) throws {
        let f = try Fixtures.file("saelens_\(name).safetensors")
        let dead = try Fixtures.deadFeatures(f)
        let p = SAEParameters(try Fixtures.sae(f))
        let result = SAEObjective(config(f)).evaluate(p, batch: try f.matrix("x"), deadFeatures: dead)
        // float32 GEMMs summed in another order than torch's: relative 1e-5 of the largest entry.
        #expect(maxRelativeError(result.codes.dense().storage, try f.floats("feature_acts")) <= 1e-5)
        #expect(result.codes.nnz == 4 * 16)
        #expect(result.codes.rowStart.indices.dropLast().contains { result.codes.rowStart[$0 + 1] - result.codes.rowStart[$0] != 4 },
                "BatchTopK rows should not all hold exactly k entries on this batch")
        #expect(relativeError(result.terms.mse, Fixtures.scalar(f, "mse")) <= 1e-5)
        #expect(abs(result.terms.auxK - Fixtures.scalar(f, "aux_k")) <= 1e-5 * max(1, Fixtures.scalar(f, "aux_k")))
        if !dead.isEmpty { #expect(result.terms.auxK > 0) }
        #expect(relativeError(result.terms.loss, Fixtures.scalar(f, "loss")) <= 1e-5)
        let g = try #require(result.gradients)
        try expectGradientsMatch(f, g)
        try expectAdamStepMatches(f, from: p, gradients: g)
    }

    @Test("a BatchTopK trainer step updates the running threshold as sae_lens does and yields the JumpReLU SAE sae_lens saves")
    func trainerStepMatchesSAELens() throws {
        let f = try Fixtures.file("saelens_batchtopk_plain.safetensors")
        var initial = try Fixtures.sae(f)
        initial.activation = .jumpReLU(threshold: [Float](repeating: Fixtures.scalar(f, "threshold_before"), count: 40))
        let trainer = try SAETrainer(config: config(f), initial: initial, source: InMemoryActivations(try f.matrix("x"), seed: 1))
        #expect(trainer.topkThreshold == Double(Fixtures.scalar(f, "threshold_before")))   // the warm start carries it
        try trainer.trainStep()
        #expect(abs(trainer.topkThreshold - Double(f.metadata["threshold_after"]!)!) <= 1e-6)
        let trained = trainer.sae
        let saved = try SparseAutoencoder.load(from: Fixtures.directory.appendingPathComponent("saelens/batchtopk_plain"))
        guard case .jumpReLU(let ours) = trained.activation, case .jumpReLU(let theirs) = saved.activation else {
            Issue.record("not JumpReLU: \(trained.activation), \(saved.activation)"); return
        }
        #expect(maxRelativeError(ours, theirs) <= 1e-6)
        // The batch comes in another row order (one shuffled epoch): sums differ by rounding only.
        #expect(maxRelativeError(trained.wEnc.storage, saved.wEnc.storage) <= 1e-5)
        #expect(maxRelativeError(trained.bEnc, saved.bEnc) <= 1e-5)
        #expect(maxRelativeError(trained.wDec.storage, saved.wDec.storage) <= 1e-5)
        #expect(maxRelativeError(trained.bDec, saved.bDec) <= 1e-5)
        // Saved here, it is the same SAELens jumprelu directory.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("batchtopk-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try trained.save(to: dir)
        #expect(try SAEDirectory.readConfig(dir).architecture == "jumprelu")
        #expect(try SparseAutoencoder.load(from: dir) == trained)
    }

    @Test("BatchTopK selection keeps exactly the k·B largest positive values of the batch, for any chunking and thread count")
    func selectionIsExact() throws {
        var rng = SeededRandom(seed: 5)
        let (b, d, m) = (37, 9, 150)
        var x = Matrix(rows: b, cols: d), w = Matrix(rows: m, cols: d)
        x.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        w.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        let bias = (0..<m).map { _ in rng.uniform(-1, 0.5) }
        // Reference: every pre-activation, sorted descending, in Double loops.
        var all: [(Float, Int, Int)] = []
        for r in 0..<b { for i in 0..<m {
            var s = bias[i]; for j in 0..<d { s += x[r, j] * w[i, j] }
            if s > 0 { all.append((s, r, i)) }
        } }
        all.sort { $0.0 > $1.0 }
        for total in [1, 50, 37 * 6, all.count + 10] {
            let expected = Set(all.prefix(total).map { "\($0.1),\($0.2)" })
            for (chunk, threads) in [(1, 1), (8, 2), (64, 2)] {
                let codes = Threads.withCount(threads) {
                    SparseEncoder.encode(saeIn: x, wEncT: w, bEnc: bias, activation: .relu, chunkRows: chunk, batchTopK: total).codes
                }
                var got = Set<String>()
                for r in 0..<b { for e in codes.rowStart[r]..<codes.rowStart[r + 1] { got.insert("\(r),\(codes.index[e])") } }
                #expect(got == expected, "total \(total), chunk \(chunk), threads \(threads)")
            }
        }
    }

    @Test("training configs written before BatchTopK / JumpReLU existed decode with the new options at their defaults; new ones round-trip")
    func legacyConfigsDecode() throws {
        var c = SAETrainingConfig(dIn: 4, dSAE: 8, steps: 3)
        c.topkThresholdLR = 0.2; c.l0Coefficient = 3; c.jumpReLUBandwidth = 0.5; c.jumpReLUInitThreshold = 0.25
        let data = try JSONEncoder().encode(c)
        #expect(try JSONDecoder().decode(SAETrainingConfig.self, from: data) == c)
        var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(json["topk_threshold_lr"] as? Double == 0.2 && json["l0_coefficient"] as? Double == 3)
        for key in ["topk_threshold_lr", "jumprelu_bandwidth", "jumprelu_init_threshold", "l0_coefficient"] { json[key] = nil }
        let old = try JSONDecoder().decode(SAETrainingConfig.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.topkThresholdLR == 0.01 && old.jumpReLUBandwidth == 0.05 && old.jumpReLUInitThreshold == 0.01 && old.l0Coefficient == 1)
    }
}
