import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackSAE

/// JumpReLU training against SAELens 6.54.12's `JumpReLUTrainingSAE` ("step" L0 loss, rectangle STE;
/// Tests/Fixtures/sae/generate.py, `saelens_jumprelu_case`).
struct JumpReLUTrainingTests {
    func config(_ f: SafetensorsFile) -> SAETrainingConfig {
        var c = Fixtures.saeLensTrainingConfig(f, .jumprelu)
        c.jumpReLUBandwidth = Fixtures.scalar(f, "bandwidth")
        c.l0Coefficient = Fixtures.scalar(f, "l0_coefficient")
        return c
    }

    @Test("JumpReLU codes, MSE, L0 loss, the gradients of W_enc, b_enc, W_dec, b_dec and θ (straight-through, bandwidth 0.3) match sae_lens")
    func objectiveMatchesSAELens() throws {
        let f = try Fixtures.file("saelens_jumprelu_step.safetensors")
        let theta = try f.floats("threshold")
        let p = SAEParameters(try Fixtures.sae(f))
        let result = SAEObjective(config(f)).evaluate(p, batch: try f.matrix("x"), threshold: theta)
        // float32 GEMMs in another order than torch's: 1e-5 relative to the largest entry.
        #expect(maxRelativeError(result.codes.dense().storage, try f.floats("feature_acts")) <= 1e-5)
        #expect(relativeError(result.terms.mse, Fixtures.scalar(f, "mse")) <= 1e-5)
        #expect(relativeError(result.terms.l1, Fixtures.scalar(f, "l0_loss")) <= 1e-6)
        #expect(result.terms.l0 == Fixtures.scalar(f, "l0"))
        #expect(relativeError(result.terms.loss, Fixtures.scalar(f, "loss")) <= 1e-5)
        let g = try #require(result.gradients)
        #expect(maxRelativeError(g.wEncT.transposed().storage, try f.floats("grad_W_enc")) <= 1e-5)
        #expect(maxRelativeError(g.bEnc, try f.floats("grad_b_enc")) <= 1e-5)
        #expect(maxRelativeError(g.wDec.storage, try f.floats("grad_W_dec")) <= 1e-5)
        #expect(maxRelativeError(g.bDec, try f.floats("grad_b_dec")) <= 1e-5)
        let gTheta = try #require(result.thresholdGradient)
        #expect(gTheta.filter { $0 != 0 }.count > 5)                    // the window holds entries of several features
        #expect(maxRelativeError(gTheta, try f.floats("grad_threshold")) <= 1e-5)
    }

    @Test("a JumpReLU trainer step (Adam over all five parameters) matches torch's; the SAE saves as jumprelu with θ and resumes")
    func trainerStepMatches() throws {
        let f = try Fixtures.file("saelens_jumprelu_step.safetensors")
        var initial = try Fixtures.sae(f)
        initial.activation = .jumpReLU(threshold: try f.floats("threshold"))     // the warm start carries θ
        let trainer = try SAETrainer(config: config(f), initial: initial, source: InMemoryActivations(try f.matrix("x"), seed: 1))
        try trainer.trainStep()
        // One shuffled epoch: the batch rows in another order, sums differ by rounding only.
        let q = trainer.parameters
        #expect(maxRelativeError(q.wEncT.transposed().storage, try f.floats("after_W_enc")) <= 1e-5)
        #expect(maxRelativeError(q.bEnc, try f.floats("after_b_enc")) <= 1e-5)
        #expect(maxRelativeError(q.wDec.storage, try f.floats("after_W_dec")) <= 1e-5)
        #expect(maxRelativeError(q.bDec, try f.floats("after_b_dec")) <= 1e-5)
        #expect(maxRelativeError(trainer.threshold, try f.floats("after_threshold")) <= 1e-5)
        let sae = trainer.sae
        #expect(sae.activation == .jumpReLU(threshold: trainer.threshold))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jumprelu-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try sae.save(to: dir.appendingPathComponent("sae"))
        #expect(try SparseAutoencoder.load(from: dir.appendingPathComponent("sae")) == sae)
        try trainer.saveState(to: dir.appendingPathComponent("state"))
        let resumed = try SAETrainer(resumingFrom: dir.appendingPathComponent("state"),
                                     source: InMemoryActivations(try f.matrix("x"), seed: 1))
        #expect(resumed.threshold == trainer.threshold && resumed.sae == sae)
    }

    @Test("JumpReLU training (step L0 loss) recovers a planted sparse dictionary (mean max cosine ≥ 0.9) at a sparse L0")
    func recoversDictionary() throws {
        try Threads.withCount(2) {
            let data = plantedDictionaryData(samples: 8192, dIn: 24, atoms: 32, active: 3, seed: 12)
            var config = SAETrainingConfig(dIn: 24, dSAE: 64, steps: 1500)
            config.architecture = .jumprelu
            config.mseMode = .saeLens
            config.decoderNormMode = .free
            config.removeParallelGradient = false
            config.l0Coefficient = 0.2
            config.jumpReLUInitThreshold = 0.3
            config.jumpReLUBandwidth = 0.05
            config.batchSize = 256
            config.lr = 3e-3
            config.warmupSteps = 50
            config.bDecInitSamples = 2048
            config.logEvery = 500
            let trainer = try SAETrainer(config: config, source: InMemoryActivations(data.x, seed: 2))
            let result = try trainer.train()
            let mmcs = meanMaxCosine(data.dictionary, result.sae.wDec)
            print("jumprelu: mean max cosine \(mmcs), final \(result.log.last!.terms)")
            #expect(mmcs >= 0.9)
            #expect(result.log.last!.terms.l0 < 5)                        // 3 planted atoms per sample
        }
    }
}
