import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackSAE

/// The paper's ReLU + L1 recipe against the SAE-Track authors' own code, not a transcription:
/// Tests/Fixtures/sae/generate_authors.py runs one `_train_step` of their repository
/// (github.com/Superposition09m/SAE-Track @ d89a8a3) on a fixed SAE and batch.
struct AuthorsCodeTests {
    @Test("SAE-Track's loss terms (MSE over the centred-norm denominator, L1, ghost grads, anchor), gradients and one Adam step match the authors' _train_step",
          arguments: ["plain", "ghost", "weighted", "reg"])
    func matchesAuthorsTrainStep(_ name: String) throws {
        let f = try Fixtures.file("authors_\(name).safetensors")
        var config = SAETrainingConfig(dIn: 12, dSAE: 48, steps: 1)
        config.l1Mode = Fixtures.scalar(f, "w_dec_norm") == 1 ? .plain : .decoderNormWeighted
        config.l1Coefficient = Fixtures.scalar(f, "l1_coefficient")
        config.regCoefficient = Fixtures.scalar(f, "reg_coefficient")
        config.encoderChunkRows = 5
        let p = SAEParameters(try Fixtures.sae(f))
        var previous: SAEParameters? = nil
        if config.regCoefficient != 0 {
            previous = SAEParameters(wEncT: try f.matrix("prev_W_enc").transposed(), bEnc: p.bEnc,
                                     wDec: try f.matrix("prev_W_dec"), bDec: p.bDec)
        }
        let dead = try Fixtures.deadFeatures(f)
        let result = SAEObjective(config).evaluate(p, batch: try f.matrix("x"), deadFeatures: dead, previous: previous)
        let t = result.terms
        // The fixture is their float64 computation; ours is float32: 1e-5 relative covers its rounding.
        #expect(relativeError(t.mse, Fixtures.scalar(f, "mse")) <= 1e-5)
        #expect(relativeError(t.l1, Fixtures.scalar(f, "l1")) <= 1e-5)
        #expect(abs(t.ghost - Fixtures.scalar(f, "ghost")) <= 1e-5 * max(1, Fixtures.scalar(f, "ghost")))
        #expect(abs(t.reg - Fixtures.scalar(f, "reg")) <= 1e-5 * max(1, Fixtures.scalar(f, "reg")))
        #expect(relativeError(t.loss, Fixtures.scalar(f, "loss")) <= 1e-5)
        if !dead.isEmpty { #expect(t.ghost > 0) }
        if name == "reg" { #expect(t.reg > 0) }
        let g = try #require(result.gradients)
        #expect(maxRelativeError(g.wEncT.transposed().storage, try f.floats("grad_W_enc")) <= 1e-5)
        #expect(maxRelativeError(g.bEnc, try f.floats("grad_b_enc")) <= 1e-5)
        #expect(maxRelativeError(g.wDec.storage, try f.floats("grad_W_dec")) <= 1e-5)
        #expect(maxRelativeError(g.bDec, try f.floats("grad_b_dec")) <= 1e-5)
        // Their constantwithwarmup schedule at step 0 is lr·1/warm-up; the config gives the same.
        config.lr = 1e-3
        config.warmupSteps = 3
        #expect(relativeError(config.learningRate(atStep: 0), Fixtures.scalar(f, "lr")) <= 1e-6)
        var q = p
        var adam = Adam(dIn: 12, dSAE: 48)
        adam.update(&q, gradients: g, lr: config.learningRate(atStep: 0))
        #expect(maxRelativeError(q.wEncT.transposed().storage, try f.floats("after_W_enc")) <= 1e-5)
        #expect(maxRelativeError(q.bEnc, try f.floats("after_b_enc")) <= 1e-5)
        #expect(maxRelativeError(q.wDec.storage, try f.floats("after_W_dec")) <= 1e-5)
        #expect(maxRelativeError(q.bDec, try f.floats("after_b_dec")) <= 1e-5)
    }
}
