import Testing
import SAETrackCore
@testable import SAETrackSAE

struct SAEEvaluationTests {
    @Test("L0, MSE (plain and SAE-Track), corrected and legacy EV, l2 ratio, firing frequency, dead/dense fractions match numpy")
    func matchesNumpy() throws {
        let f = try Fixtures.file("evaluation.safetensors")
        let sae = try SparseAutoencoder(wEnc: Fixtures.file("saelens_saved_sae/sae_weights.safetensors").matrix("W_enc"),
                                        bEnc: Fixtures.file("saelens_saved_sae/sae_weights.safetensors").floats("b_enc"),
                                        wDec: Fixtures.file("saelens_saved_sae/sae_weights.safetensors").matrix("W_dec"),
                                        bDec: Fixtures.file("saelens_saved_sae/sae_weights.safetensors").floats("b_dec"))
        let e = SAEEvaluation.evaluate(sae, on: try f.matrix("x"), batchSize: 10)        // several batches
        func close(_ a: Double, _ key: String) -> Bool { abs(a - Double(Fixtures.scalar(f, key))) <= 1e-5 * max(1, abs(a)) }
        #expect(close(e.l0, "l0"))
        #expect(close(e.mse, "mse"))
        #expect(close(e.saeTrackMSE, "sae_track_mse"))
        #expect(close(e.explainedVariance, "explained_variance"))
        #expect(close(e.legacyExplainedVariance, "legacy_explained_variance"))
        #expect(e.explainedVariance != e.legacyExplainedVariance)
        #expect(close(e.l2Ratio, "l2_ratio"))
        #expect(close(e.deadFraction, "dead_fraction"))
        #expect(close(e.denseFraction, "dense_fraction"))
        #expect(maxRelativeError(e.firingFrequency, try f.floats("firing_frequency")) <= 1e-6)
        #expect(e.densityHistogram.counts.reduce(0, +) == 40)
        let bin = Int(Fixtures.scalar(f, "histogram_bin_of_first"))
        #expect(e.densityHistogram.counts[min(bin, 49)] >= 1)
    }

    @Test("all-zero activation rows (synthetic data with no active feature) are left out of the per-row ratios, which stay finite and equal those of the other rows")
    func zeroRowsStayFinite() throws {
        let f = try Fixtures.file("evaluation.safetensors")
        let w = try Fixtures.file("saelens_saved_sae/sae_weights.safetensors")
        let sae = try SparseAutoencoder(wEnc: w.matrix("W_enc"), bEnc: w.floats("b_enc"), wDec: w.matrix("W_dec"), bDec: w.floats("b_dec"))
        let x = try f.matrix("x")
        let plain = SAEEvaluation.evaluate(sae, on: x)
        var padded = Matrix(rows: x.rows + 3, cols: x.cols)                     // three zero rows at the end
        for r in 0..<x.rows { for c in 0..<x.cols { padded[r, c] = x[r, c] } }
        let e = SAEEvaluation.evaluate(sae, on: padded)
        #expect(e.l2Ratio.isFinite && e.legacyExplainedVariance.isFinite && e.saeTrackMSE.isFinite && e.explainedVariance.isFinite)
        #expect(abs(e.l2Ratio - plain.l2Ratio) <= 1e-12 * max(1, abs(plain.l2Ratio)))   // zero rows have no ‖x̂‖/‖x‖
        #expect(e.tokens == x.rows + 3)
    }

    @Test("reconstruct(x) equals decode(encode(x)) of the dense reference path")
    func reconstructMatchesDense() throws {
        let f = try Fixtures.file("saelens_saved_encode.safetensors")
        let w = try Fixtures.file("saelens_saved_sae/sae_weights.safetensors")
        let sae = try Fixtures.sae(w)
        let x = try f.matrix("x")
        #expect(maxRelativeError(sae.reconstruct(x).storage, try f.floats("reconstruction")) <= 1e-5)
        #expect(maxRelativeError(sae.encode(x).dense().storage, try f.floats("feature_acts")) <= 1e-5)
    }
}
