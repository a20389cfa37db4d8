import Foundation
import Testing
import SAETrackCore
@testable import SAETrackSAE

/// Mean over true atoms of the best |cosine| with any decoder row.
func meanMaxCosine(_ dictionary: Matrix, _ wDec: Matrix) -> Float {
    let sims = BLAS.matmul(dictionary, wDec, transposeB: true)              // (atoms, d_sae)
    let norms = (0..<wDec.rows).map { i in (0..<wDec.cols).reduce(Float(0)) { $0 + wDec[i, $1] * wDec[i, $1] }.squareRoot() }
    var total: Float = 0
    for a in 0..<dictionary.rows {
        var best: Float = 0
        for i in 0..<wDec.rows { best = max(best, abs(sims[a, i]) / max(norms[i], 1e-12)) }
        total += best
    }
    return total / Float(dictionary.rows)
}

struct SAETrainerTests {
    @Test("standard SAE-Track training recovers a planted sparse dictionary (mean max cosine ≥ 0.9)")
    func standardRecoversDictionary() throws {
        try Threads.withCount(2) {
            let data = plantedDictionaryData(samples: 8192, dIn: 24, atoms: 32, active: 3, seed: 11)
            var config = SAETrainingConfig(dIn: 24, dSAE: 64, steps: 1500)
            config.batchSize = 256
            config.lr = 3e-3
            config.warmupSteps = 50
            config.l1Coefficient = 5e-3
            config.bDecInitSamples = 2048
            config.deadFeatureWindow = 200
            config.featureSamplingWindow = 100
            config.logEvery = 500
            let trainer = try SAETrainer(config: config, source: InMemoryActivations(data.x, seed: 1))
            let result = try trainer.train()
            let mmcs = meanMaxCosine(data.dictionary, result.sae.wDec)
            print("standard: mean max cosine \(mmcs), final \(result.log.last!.terms)")
            #expect(mmcs >= 0.9)
            #expect(result.log.last!.terms.explainedVariance > 0.8)
        }
    }

    @Test("TopK training with AuxK recovers a planted sparse dictionary (mean max cosine ≥ 0.9)")
    func topKRecoversDictionary() throws {
        try Threads.withCount(2) {
            let data = plantedDictionaryData(samples: 8192, dIn: 24, atoms: 32, active: 3, seed: 12)
            var config = SAETrainingConfig(dIn: 24, dSAE: 64, steps: 1500)
            config.architecture = .topk
            config.k = 3
            config.mseMode = .saeLens
            config.batchSize = 256
            config.lr = 3e-3
            config.warmupSteps = 50
            config.bDecInitSamples = 2048
            config.deadFeatureWindow = 100
            config.logEvery = 500
            let trainer = try SAETrainer(config: config, source: InMemoryActivations(data.x, seed: 2))
            let result = try trainer.train()
            let mmcs = meanMaxCosine(data.dictionary, result.sae.wDec)
            print("topk: mean max cosine \(mmcs), final \(result.log.last!.terms)")
            #expect(mmcs >= 0.9)
        }
    }

    @Test("BatchTopK training with AuxK recovers a planted sparse dictionary (mean max cosine ≥ 0.9), saved as JumpReLU at its running threshold")
    func batchTopKRecoversDictionary() throws {
        try Threads.withCount(2) {
            let data = plantedDictionaryData(samples: 8192, dIn: 24, atoms: 32, active: 3, seed: 12)
            var config = SAETrainingConfig(dIn: 24, dSAE: 64, steps: 1500)
            config.architecture = .batchtopk
            config.k = 3
            config.mseMode = .saeLens
            config.batchSize = 256
            config.lr = 3e-3
            config.warmupSteps = 50
            config.bDecInitSamples = 2048
            config.deadFeatureWindow = 100
            config.logEvery = 500
            let trainer = try SAETrainer(config: config, source: InMemoryActivations(data.x, seed: 2))
            let result = try trainer.train()
            let mmcs = meanMaxCosine(data.dictionary, result.sae.wDec)
            print("batchtopk: mean max cosine \(mmcs), final \(result.log.last!.terms)")
            #expect(mmcs >= 0.9)
            // Inference with the running threshold keeps about k codes per token.
            guard case .jumpReLU(let th) = result.sae.activation else { Issue.record("not JumpReLU"); return }
            #expect(th.allSatisfy { $0 == th[0] && $0 > 0 })
            let l0 = result.sae.encode(data.x.rows(0..<2048)).meanRowCount
            #expect(l0 > 2 && l0 < 4.5, "L0 \(l0)")
        }
    }

    func smallConfig() -> SAETrainingConfig {
        var config = SAETrainingConfig(dIn: 16, dSAE: 48, steps: 40)
        config.batchSize = 16
        config.lr = 1e-3
        config.warmupSteps = 5
        config.l1Coefficient = 1e-3
        config.bDecInitSamples = 256
        config.deadFeatureWindow = 1                     // ghost grads become active mid-run
        config.featureSamplingWindow = 7
        config.logEvery = 10
        return config
    }

    @Test("stopping, saving the full state and resuming gives bit-identical results to an uninterrupted run")
    func resumeIsExact() throws {
        try Threads.withCount(2) {
            let data = plantedDictionaryData(samples: 1000, dIn: 16, atoms: 20, active: 2, seed: 13)
            var config = smallConfig()
            config.deadFeatureWindow = 2
            var start = SAEParameters.kaimingUniform(dIn: 16, dSAE: 48, seed: 9)
            for i in 0..<6 { start.bEnc[i] = -50 }                             // silent features: ghost grads fire
            let initial = start.autoencoder()
            let straight = try SAETrainer(config: config, initial: initial, source: InMemoryActivations(data.x, seed: 5))
            let full = try straight.train()

            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sae-resume-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            let first = try SAETrainer(config: config, initial: initial, source: InMemoryActivations(data.x, seed: 5))
            _ = try first.train(untilStep: 17)
            try first.saveState(to: dir.appendingPathComponent("state"))
            try first.saveState(to: dir.appendingPathComponent("state"))       // replacing an existing state
            let resumed = try SAETrainer(resumingFrom: dir.appendingPathComponent("state"),
                                         source: InMemoryActivations(data.x, seed: 5))
            #expect(resumed.step == 17)
            let rest = try resumed.train()
            #expect(rest.sae == full.sae)
            #expect(resumed.optimizer == straight.optimizer)
            #expect(resumed.passesSinceFired == straight.passesSinceFired)
            #expect(rest.log.map(\.terms) == full.log.map(\.terms))
            let probe = try SAETrainer(config: config, initial: initial, source: InMemoryActivations(data.x, seed: 5))
            let ghostSteps = try (0..<config.steps).filter { _ in try probe.trainStep().ghost > 0 }
            #expect(!ghostSteps.isEmpty)                                       // the run exercised ghost grads
            #expect(probe.sae == full.sae)
        }
    }

    @Test("same seed and thread count → identical SAE; warm start copies all four tensors and uses a fresh Adam")
    func determinismAndWarmStart() throws {
        try Threads.withCount(2) {
            let data = plantedDictionaryData(samples: 1000, dIn: 16, atoms: 20, active: 2, seed: 14)
            var config = smallConfig()
            config.steps = 10
            let a = try SAETrainer(config: config, source: InMemoryActivations(data.x, seed: 3)).train()
            let b = try SAETrainer(config: config, source: InMemoryActivations(data.x, seed: 3)).train()
            #expect(a.sae == b.sae)

            var stage = SAETrainingConfig.continualStage(dIn: 16, dSAE: 48, tokens: 16 * 5, batchSize: 16)
            stage.bDecInitSamples = 256
            #expect(stage.steps == 5 && stage.lr == 4e-5 && stage.warmupSteps == 3)
            let warm = try SAETrainer(config: stage, initial: a.sae, source: InMemoryActivations(data.x, seed: 4))
            let copied = SAEParameters(a.sae)                                    // all four tensors, no b_dec re-init
            #expect(warm.parameters.wEncT == copied.wEncT && warm.parameters.bEnc == copied.bEnc && warm.parameters.bDec == copied.bDec)
            #expect(maxRelativeError(warm.parameters.wDec.storage, copied.wDec.storage) <= 1e-6)   // renormalised rows
            #expect(warm.optimizer.step == 0)
            let after = try warm.train()
            #expect(after.sae.bDec != a.sae.bDec)
            #expect(maxRelativeError(after.sae.wDec.storage, a.sae.wDec.storage) < 0.05)   // small lr: stays close
        }
    }

    @Test("schedules: constant-with-warmup uses lr·(s+1)/warmup from the first step; linear decay reaches lr_end")
    func schedules() {
        var c = SAETrainingConfig(dIn: 4, dSAE: 8, steps: 100)
        c.lr = 1e-3
        c.warmupSteps = 4
        #expect(c.learningRate(atStep: 0) == 1e-3 / 4)
        #expect(c.learningRate(atStep: 3) == 1e-3)
        #expect(c.learningRate(atStep: 99) == 1e-3)
        c.schedule = .warmupLinearDecay
        c.decaySteps = 10
        c.lrEnd = 1e-4
        #expect(c.learningRate(atStep: 89) == 1e-3)
        #expect(abs(c.learningRate(atStep: 99) - 1e-4) < 1e-9)
        c.l1WarmupSteps = 10
        #expect(c.l1Coefficient(atStep: 0) == c.l1Coefficient / 10)
        #expect(SAETrainingConfig.firstStage(dIn: 4, dSAE: 8).steps == 73_243)
        #expect(SAETrainingConfig.continualStage(dIn: 4, dSAE: 8).steps == 3_663)
    }
}
