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
        c.jumpReLUSparsity = SAEJumpReLUSparsity(rawValue: f.metadata["mode"] ?? "step")!
        c.targetL0 = f.metadata["target_l0"] == nil ? 0 : Fixtures.scalar(f, "target_l0")
        if f.metadata["tanh_scale"] != nil { c.jumpReLUTanhScale = Fixtures.scalar(f, "tanh_scale") }
        if f.metadata["pre_act_loss_coefficient"] != nil { c.preActLossCoefficient = Fixtures.scalar(f, "pre_act_loss_coefficient") }
        c.jumpReLUSTEToInput = f.metadata["ste_to_input"] == "true"
        return c
    }

    func dead(_ f: SafetensorsFile) throws -> [Int32] {
        f.tensorNames.contains("dead") ? try Fixtures.deadFeatures(f) : []
    }

    @Test("""
          JumpReLU codes, MSE, sparsity loss (step; quadratic around a target L0; tanh), the pre-activation loss on \
          dead latents, the gradients of W_enc, b_enc, W_dec, b_dec and θ (straight-through, bandwidth 0.3, to θ \
          only or also to the pre-activations) and one Adam step match sae_lens
          """,
          arguments: ["jumprelu_step", "jumprelu_quadratic", "jumprelu_tanh_preact", "jumprelu_step_ste_preact",
                      "jumprelu_quadratic_ste"])
    func objectiveMatchesSAELens(_ name: String) throws {
        let f = try Fixtures.file("saelens_\(name).safetensors")
        let c = config(f)
        #expect(c.jumpReLUSparsity.rawValue == f.metadata["mode"] ?? "step")
        #expect(c.jumpReLUSTEToInput == (name.contains("_ste_") || name.hasSuffix("_ste")))
        #expect((c.preActLossCoefficient != nil) == name.contains("preact"))
        let theta = try f.floats("threshold")
        let p = SAEParameters(try Fixtures.sae(f))
        let dead = try dead(f)
        #expect(dead.isEmpty != name.contains("preact"))
        let result = SAEObjective(c).evaluate(p, batch: try f.matrix("x"), deadFeatures: dead, threshold: theta)
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
        if c.preActLossCoefficient != nil {
            #expect(result.terms.preAct > 0)
            #expect(relativeError(result.terms.preAct, Fixtures.scalar(f, "pre_act_loss")) <= 1e-5)
        } else {
            #expect(result.terms.preAct == 0)
        }
        // Without gradients the loss terms are the same.
        let plain = SAEObjective(c).evaluate(p, batch: try f.matrix("x"), deadFeatures: dead, threshold: theta, gradients: false)
        #expect(plain.terms.loss == result.terms.loss && plain.terms.preAct == result.terms.preAct)
        // One torch Adam step over all five parameters.
        var q = p
        var adam = Adam(dIn: p.dIn, dSAE: p.dSAE)
        adam.update(&q, gradients: g, lr: Fixtures.scalar(f, "lr"))
        var th = theta, m = [Float](repeating: 0, count: theta.count), v = m
        adam.update(vector: &th, gradient: gTheta, m: &m, v: &v, lr: Fixtures.scalar(f, "lr"))
        #expect(maxRelativeError(q.wEncT.transposed().storage, try f.floats("after_W_enc")) <= 1e-5)
        #expect(maxRelativeError(q.bEnc, try f.floats("after_b_enc")) <= 1e-5)
        #expect(maxRelativeError(q.wDec.storage, try f.floats("after_W_dec")) <= 1e-5)
        #expect(maxRelativeError(q.bDec, try f.floats("after_b_dec")) <= 1e-5)
        #expect(maxRelativeError(th, try f.floats("after_threshold")) <= 1e-5)
    }

    @Test("the L0 coefficient warms up as SAELens's CoefficientScheduler does (l0_warm_up_steps; step 0 has none)")
    func l0WarmUpMatchesSAELens() throws {
        let f = try Fixtures.file("saelens_l0_warm_up.safetensors")
        var c = SAETrainingConfig(dIn: 4, dSAE: 8, steps: 10)
        c.architecture = .jumprelu
        c.l0Coefficient = Fixtures.scalar(f, "final_value")
        c.l0WarmupSteps = Int(Fixtures.scalar(f, "warm_up_steps"))
        let expected = try f.floats("values")
        #expect(expected.first == 0 && expected.last == c.l0Coefficient)
        #expect(maxRelativeError(expected.indices.map { c.l0Coefficient(atStep: $0) }, expected) <= 1e-7)
        c.l0WarmupSteps = 0
        #expect(c.l0Coefficient(atStep: 0) == c.l0Coefficient)
    }

    @Test("the JumpReLU options are refused on other architectures and out of range, by name")
    func optionsValidated() throws {
        var c = SAETrainingConfig(dIn: 4, dSAE: 8, steps: 10)
        c.preActLossCoefficient = 1e-3
        c.jumpReLUSTEToInput = true
        #expect(throws: SAETrainingError.self) { try c.validate() }
        do { try c.validate() } catch let error {
            #expect("\(error)".contains("pre_act_loss_coefficient") && "\(error)".contains("jumprelu_ste_to_input"))
        }
        c.architecture = .jumprelu
        try c.validate()
        c.jumpReLUSparsity = .tanh
        c.jumpReLUTanhScale = 0
        c.preActLossCoefficient = -1
        c.l0WarmupSteps = -2
        do { try c.validate(); Issue.record("accepted a bad JumpReLU config") } catch let error {
            for key in ["jumprelu_tanh_scale", "pre_act_loss_coefficient", "l0_warm_up_steps"] { #expect("\(error)".contains(key)) }
        }
        // Configs written before the options existed decode with SAELens's defaults.
        var fresh = SAETrainingConfig(dIn: 4, dSAE: 8, steps: 1)
        fresh.architecture = .jumprelu
        var keys = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(fresh)) as? [String: Any])
        for key in ["jumprelu_tanh_scale", "pre_act_loss_coefficient", "jumprelu_ste_to_input", "l0_warm_up_steps"] { keys[key] = nil }
        let old = try JSONDecoder().decode(SAETrainingConfig.self, from: JSONSerialization.data(withJSONObject: keys))
        #expect(old.jumpReLUTanhScale == 4 && old.preActLossCoefficient == nil && !old.jumpReLUSTEToInput && old.l0WarmupSteps == 0)
        var new = old
        new.jumpReLUSparsity = .tanh; new.jumpReLUTanhScale = 2.5; new.preActLossCoefficient = 3e-6
        new.jumpReLUSTEToInput = true; new.l0WarmupSteps = 7
        let json = String(decoding: try JSONEncoder().encode(new), as: UTF8.self)
        for key in ["\"jumprelu_tanh_scale\":2.5", "\"pre_act_loss_coefficient\"", "\"jumprelu_ste_to_input\":true",
                    "\"l0_warm_up_steps\":7", "\"jumprelu_sparsity_loss_mode\":\"tanh\""] { #expect(json.contains(key)) }
        #expect(try JSONDecoder().decode(SAETrainingConfig.self, from: Data(json.utf8)) == new)
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

/// Gradient-norm clipping (`SAETrainingConfig.clipGradNorm`) against torch's `clip_grad_norm_`,
/// which SAELens's trainer applies with max norm 1 (Tests/Fixtures/sae/generate.py `clip_grad_norm_case`).
struct GradientClippingTests {
    @Test("clipping all five JumpReLU gradients to total norm 1 matches torch.nn.utils.clip_grad_norm_; a small gradient is left alone")
    func matchesTorch() throws {
        let f = try Fixtures.file("saelens_jumprelu_step.safetensors")
        let clipped = try Fixtures.file("saelens_clip_grad_norm.safetensors")
        var g = SAEParameters(try Fixtures.sae(f))                       // shapes; the values are replaced below
        g.wEncT = try f.matrix("grad_W_enc").transposed()
        g.bEnc = try f.floats("grad_b_enc")
        g.wDec = try f.matrix("grad_W_dec")
        g.bDec = try f.floats("grad_b_dec")
        var theta: [Float]? = try f.floats("grad_threshold")
        let norm = GradientClipping.clip(&g, threshold: &theta, maxNorm: 1)
        #expect(relativeError(norm, Fixtures.scalar(clipped, "total_norm")) <= 1e-5)
        #expect(norm > 1)
        #expect(maxRelativeError(g.wEncT.transposed().storage, try clipped.floats("clipped_W_enc")) <= 1e-5)
        #expect(maxRelativeError(g.bEnc, try clipped.floats("clipped_b_enc")) <= 1e-5)
        #expect(maxRelativeError(g.wDec.storage, try clipped.floats("clipped_W_dec")) <= 1e-5)
        #expect(maxRelativeError(g.bDec, try clipped.floats("clipped_b_dec")) <= 1e-5)
        #expect(maxRelativeError(theta!, try clipped.floats("clipped_threshold")) <= 1e-5)
        let before = g
        var none: [Float]? = nil
        GradientClipping.clip(&g, threshold: &none, maxNorm: 10)          // norm ≈ 1 < 10: unchanged
        #expect(g == before)
        var c = SAETrainingConfig(dIn: 4, dSAE: 8, steps: 1)
        c.clipGradNorm = 0
        #expect(throws: SAETrainingError.self) { try c.validate() }
    }

    @Test("Adam with the clipping factor as its gradient scale is Adam on the clipped gradients, bit for bit; the norm does not depend on the thread count")
    func fusedIntoAdam() {
        // d_sae · d_in = 70,000 > one norm block, so the norm has several partial sums.
        let (dIn, dSAE) = (70, 1000)
        var rng = SeededRandom(seed: 5)
        var g = SAEParameters(zerosWithDIn: dIn, dSAE: dSAE)
        for buffer in [\SAEParameters.wEncT, \SAEParameters.wDec] as [WritableKeyPath<SAEParameters, Matrix>] {
            g[keyPath: buffer].withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        }
        g.bEnc = (0..<dSAE).map { _ in rng.uniform(-1, 1) }
        g.bDec = (0..<dIn).map { _ in rng.uniform(-1, 1) }
        let norms = [1, 2, 3].map { n in Threads.withCount(n) { GradientClipping.factor(g, threshold: nil, maxNorm: 1) } }
        #expect(norms.allSatisfy { $0 == norms[0] })
        let (norm, factor) = norms[0]
        #expect(norm > 100 && factor < 0.01)                              // ~√(2·70,000): clipping acts
        let start = SAEParameters.kaimingUniform(dIn: dIn, dSAE: dSAE, seed: 6)
        for normalise in [false, true] {
            var (fused, reference) = (start, start)
            var (adamFused, adamReference) = (Adam(dIn: dIn, dSAE: dSAE), Adam(dIn: dIn, dSAE: dSAE))
            var clipped = g
            var none: [Float]? = nil
            GradientClipping.clip(&clipped, threshold: &none, maxNorm: 1)
            for _ in 0..<2 {
                adamFused.update(&fused, gradients: g, lr: 1e-3, normaliseDecoderRows: normalise, gradientScale: factor)
                adamReference.update(&reference, gradients: clipped, lr: 1e-3, normaliseDecoderRows: normalise)
            }
            #expect(fused == reference && adamFused == adamReference, "normaliseDecoderRows \(normalise)")
            #expect(fused != start)
        }
    }
}
