import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackSAE

/// Loss terms, gradients and one Adam step against the PyTorch / SAELens fixtures (generate.py).
struct SAEObjectiveTests {
    /// Evaluates the SAE-Track objective on a `standard_<case>` fixture.
    func saeTrackCase(_ name: String, l1Mode: SAEL1Mode) throws -> (SafetensorsFile, SAEObjective.Result, SAEParameters) {
        let f = try Fixtures.file("standard_\(name).safetensors")
        var config = SAETrainingConfig(dIn: 12, dSAE: 40, steps: 1)
        config.l1Mode = l1Mode
        config.l1Coefficient = Fixtures.scalar(f, "l1_coefficient")
        config.encoderChunkRows = 5                                   // several encoder chunks
        let params = SAEParameters(try Fixtures.sae(f))
        let result = SAEObjective(config).evaluate(params, batch: try f.matrix("x"), deadFeatures: try Fixtures.deadFeatures(f))
        return (f, result, params)
    }

    @Test("SAE-Track loss (MSE / ‖x − mean‖, plain L1), gradients after parallel removal and one Adam step match PyTorch",
          arguments: [("plain", SAEL1Mode.plain), ("ghost", .plain), ("weighted", .decoderNormWeighted)])
    func saeTrackMatchesTorch(_ name: String, _ l1Mode: SAEL1Mode) throws {
        let (f, result, params) = try saeTrackCase(name, l1Mode: l1Mode)
        let t = result.terms
        #expect(relativeError(t.mse, Fixtures.scalar(f, "mse")) <= 1e-5)
        #expect(relativeError(t.sparsity, Fixtures.scalar(f, "sparsity")) <= 1e-5)
        #expect(relativeError(t.l1, Fixtures.scalar(f, "l1")) <= 1e-5)
        #expect(abs(t.ghost - Fixtures.scalar(f, "ghost")) <= 1e-5 * max(1, abs(Fixtures.scalar(f, "ghost"))))
        #expect(relativeError(t.loss, Fixtures.scalar(f, "loss")) <= 1e-5)
        #expect(t.l0 == Fixtures.scalar(f, "l0"))
        if name == "ghost" { #expect(t.ghost > 0) }
        let g = try #require(result.gradients)
        try expectGradientsMatch(f, g)

        try expectAdamStepMatches(f, from: params, gradients: g)
    }

    @Test("SAELens v6 standard loss (Σ_j MSE, decoder-norm-weighted L1) and gradients match sae_lens")
    func saeLensStandardMatches() throws {
        let f = try Fixtures.file("saelens_standard.safetensors")
        var config = SAETrainingConfig(dIn: 12, dSAE: 40, steps: 1)
        config.mseMode = .saeLens
        config.l1Mode = .decoderNormWeighted
        config.l1Coefficient = Fixtures.scalar(f, "l1_coefficient")
        config.removeParallelGradient = false
        let result = SAEObjective(config).evaluate(SAEParameters(try Fixtures.sae(f)), batch: try f.matrix("x"))
        #expect(relativeError(result.terms.mse, Fixtures.scalar(f, "mse")) <= 1e-5)
        #expect(relativeError(result.terms.l1, Fixtures.scalar(f, "l1")) <= 1e-5)
        #expect(maxRelativeError(result.codes.dense().storage, try f.floats("feature_acts")) <= 1e-5)
        try expectGradientsMatch(f, try #require(result.gradients))
    }

    @Test("TopK codes, AuxK loss (scale 1 and scale n_dead/(d_in/2)) and gradients match sae_lens TopKTrainingSAE",
          arguments: ["topk_auxk", "topk_auxk_few"])
    func topKAuxKMatches(_ name: String) throws {
        let f = try Fixtures.file("saelens_\(name).safetensors")
        var config = SAETrainingConfig(dIn: 12, dSAE: 40, steps: 1)
        config.architecture = .topk
        config.k = Int(Fixtures.scalar(f, "k"))
        config.mseMode = .saeLens
        config.removeParallelGradient = false
        let dead = try Fixtures.deadFeatures(f)
        let result = SAEObjective(config).evaluate(SAEParameters(try Fixtures.sae(f)), batch: try f.matrix("x"), deadFeatures: dead)
        #expect(maxRelativeError(result.codes.dense().storage, try f.floats("feature_acts")) <= 1e-5)
        #expect(relativeError(result.terms.mse, Fixtures.scalar(f, "mse")) <= 1e-5)
        #expect(relativeError(result.terms.auxK, Fixtures.scalar(f, "aux_k")) <= 1e-5)
        #expect(result.terms.l0 == 4)
        try expectGradientsMatch(f, try #require(result.gradients))
    }

    @Test("TopK with rescale_acts_by_decoder_norm (non-unit decoder rows): codes, AuxK and gradients match sae_lens TopKTrainingSAE; the trained SAE encodes the same codes")
    func topKRescaleMatches() throws {
        let f = try Fixtures.file("saelens_topk_rescale_auxk.safetensors")
        var config = SAETrainingConfig(dIn: 12, dSAE: 40, steps: 1)
        config.architecture = .topk
        config.k = Int(Fixtures.scalar(f, "k"))
        config.rescaleActsByDecoderNorm = true
        config.mseMode = .saeLens
        config.removeParallelGradient = false
        let dead = try Fixtures.deadFeatures(f)
        let p = SAEParameters(try Fixtures.sae(f))
        let x = try f.matrix("x")
        let result = SAEObjective(config).evaluate(p, batch: x, deadFeatures: dead)
        // sae_lens reports h = pre ⊙ ‖W_dec[i]‖ at the selected entries; ours are pre (decoded as is).
        let norms = p.decoderRowNorms()
        var scaled = result.codes
        for e in 0..<scaled.nnz { scaled.value[e] *= norms[Int(scaled.index[e])] }
        #expect(maxRelativeError(scaled.dense().storage, try f.floats("feature_acts")) <= 1e-5)
        var plain = config; plain.rescaleActsByDecoderNorm = false
        #expect(SAEObjective(plain).evaluate(p, batch: x, deadFeatures: dead).codes.index != result.codes.index,
                "the rescale should change which features are selected on this batch")
        #expect(relativeError(result.terms.mse, Fixtures.scalar(f, "mse")) <= 1e-5)
        #expect(relativeError(result.terms.auxK, Fixtures.scalar(f, "aux_k")) <= 1e-5)
        try expectGradientsMatch(f, try #require(result.gradients))
        // The SAE keeps the option: its encode reproduces sae_lens's codes.
        var sae = p.autoencoder(activation: .topK(config.k))
        sae.rescalesActsByDecoderNorm = true
        #expect(maxRelativeError(sae.encode(x).dense().storage, try f.floats("feature_acts")) <= 1e-5)
    }

    @Test("anchor regularisation adds λ‖ΔW‖² and 2λΔW; zero at the anchor itself")
    func anchorRegularisation() throws {
        let f = try Fixtures.file("standard_plain.safetensors")
        let sae = try Fixtures.sae(f)
        var config = SAETrainingConfig(dIn: 12, dSAE: 40, steps: 1)
        config.regCoefficient = 0.5
        config.removeParallelGradient = false
        let p = SAEParameters(sae)
        var shifted = p
        shifted.wDec.storage[5] += 0.25
        let x = try f.matrix("x")
        let atAnchor = SAEObjective(config).evaluate(p, batch: x, previous: p)
        #expect(atAnchor.terms.reg == 0)
        let off = SAEObjective(config).evaluate(shifted, batch: x, previous: p)
        #expect(abs(off.terms.reg - 0.5 * 0.0625) <= 1e-7)
        config.regCoefficient = 0
        let plain = SAEObjective(config).evaluate(shifted, batch: x)
        let extra = try #require(off.gradients).wDec.storage[5] - (try #require(plain.gradients)).wDec.storage[5]
        #expect(abs(extra - 2 * 0.5 * 0.25) <= 1e-6)
    }
}
