import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackSAE

/// BatchTopK's and Matryoshka's `rescale_acts_by_decoder_norm` and Matryoshka's
/// `use_matryoshka_aux_loss` against SAELens 6.54.12's training classes (Tests/Fixtures/sae/generate.py,
/// `rescale_aux_cases`): codes, every loss term and gradient, one Adam step, the running threshold,
/// the JumpReLU SAE SAELens saves (norms folded in), and the directory SAETrack saves opened by
/// `sae_lens.SAE.load_from_disk` (`swift_written_training/<case>`, written by
/// `SAETRACK_WRITE_FIXTURES=1 swift test --filter TopKFamilyOptionsTests`).
struct TopKFamilyOptionsTests {
    static let cases = ["batchtopk_rescale_auxk", "matryoshka_rescale_auxk", "matryoshka_aux_loss", "matryoshka_aux_loss_rescale"]

    func config(_ f: SafetensorsFile, _ name: String) -> SAETrainingConfig {
        var c = Fixtures.saeLensTrainingConfig(f, name.hasPrefix("matryoshka") ? .matryoshka : .batchtopk)
        if let widths = f.metadata["widths"] { c.matryoshkaWidths = widths.split(separator: ",").map { Int($0)! } }
        c.k = Int(Fixtures.scalar(f, "k"))
        c.rescaleActsByDecoderNorm = f.metadata["rescale_acts_by_decoder_norm"] == "true"
        c.useMatryoshkaAuxLoss = f.metadata["use_matryoshka_aux_loss"] == "true"
        return c
    }

    @Test("codes, MSE, inner-level MSEs, AuxK (per level with use_matryoshka_aux_loss) and every gradient match sae_lens; one Adam step matches torch",
          arguments: TopKFamilyOptionsTests.cases)
    func objectiveMatchesSAELens(_ name: String) throws {
        let f = try Fixtures.file("saelens_\(name).safetensors")
        let c = config(f, name)
        let dead = try Fixtures.deadFeatures(f)
        let p = SAEParameters(try Fixtures.sae(f))
        let x = try f.matrix("x")
        let result = Threads.withCount(2) { SAEObjective(c).evaluate(p, batch: x, deadFeatures: dead) }
        // sae_lens's feature_acts are the selected h = ReLU(pre) ⊙ ‖W_dec[i]‖ with the rescale; ours are
        // decoded as they are, h ⊘ ‖W_dec[i]‖.
        let norms = p.decoderRowNorms()
        var selected = result.codes
        if c.rescaleActsByDecoderNorm { for e in 0..<selected.nnz { selected.value[e] *= norms[Int(selected.index[e])] } }
        let theirs = try f.floats("feature_acts")
        #expect(maxRelativeError(selected.dense().storage, theirs) <= 1e-5)
        #expect(result.codes.nnz == c.k * x.rows)
        // The running threshold follows the smallest selected h, not the smallest decoded code.
        let smallest = try #require(result.smallestSelected)
        #expect(relativeError(smallest, theirs.filter { $0 > 0 }.min()!) <= 1e-6)
        if c.rescaleActsByDecoderNorm {
            var plain = c; plain.rescaleActsByDecoderNorm = false
            #expect(SAEObjective(plain).evaluate(p, batch: x, deadFeatures: dead).codes.index != result.codes.index,
                    "the rescale should change which features are selected on this batch")
            #expect(result.codes.value.min()! != smallest)
        }
        #expect(relativeError(result.terms.mse, Fixtures.scalar(f, "mse")) <= 1e-5)
        let widths = c.architecture == .matryoshka ? Array(c.matryoshkaLevels.dropLast()) : []
        #expect(result.innerMSE.count == widths.count)
        for (h, w) in widths.enumerated() {
            #expect(relativeError(result.innerMSE[h], Fixtures.scalar(f, "inner_mse_\(w)")) <= 1e-5, "level \(w)")
        }
        #expect(result.terms.auxK > 0)
        #expect(relativeError(result.terms.auxK, Fixtures.scalar(f, "aux_k")) <= 1e-5)
        if c.useMatryoshkaAuxLoss {
            var whole = c; whole.useMatryoshkaAuxLoss = false
            let other = SAEObjective(whole).evaluate(p, batch: x, deadFeatures: dead).terms.auxK
            #expect(abs(other - result.terms.auxK) > 1e-2 * result.terms.auxK, "per-level AuxK should differ from the full one: \(other)")
        }
        #expect(relativeError(result.terms.loss, Fixtures.scalar(f, "loss")) <= 1e-5)
        let g = try #require(result.gradients)
        try expectGradientsMatch(f, g)
        try expectAdamStepMatches(f, from: p, gradients: g)
    }

    @Test("a trainer step (same dead latents) updates the threshold and saves the JumpReLU SAE sae_lens saves (norms folded); sae_lens encodes the directory SAETrack writes as SAETrack does",
          arguments: TopKFamilyOptionsTests.cases)
    func trainerStepAndSaveMatchSAELens(_ name: String) throws {
        let f = try Fixtures.file("saelens_\(name).safetensors")
        let c = config(f, name)
        var initial = try Fixtures.sae(f)
        initial.activation = .jumpReLU(threshold: [Float](repeating: Fixtures.scalar(f, "threshold_before"), count: c.dSAE))
        let trainer = try SAETrainer(config: c, initial: initial, source: InMemoryActivations(try f.matrix("x"), seed: 1))
        let dead = try Fixtures.deadFeatures(f)
        for i in dead { trainer.passesSinceFired[Int(i)] = Int32(c.deadFeatureWindow + 1) }
        #expect(trainer.deadFeatures == dead)
        try trainer.trainStep()
        #expect(abs(trainer.topkThreshold - Double(f.metadata["threshold_after"]!)!) <= 1e-6)
        let trained = trainer.sae
        let saved = try SparseAutoencoder.load(from: Fixtures.directory.appendingPathComponent("saelens/\(name)"))
        #expect(f.metadata["saved_architecture"] == "jumprelu" && !saved.rescalesActsByDecoderNorm)
        guard case .jumpReLU(let ours) = trained.activation, case .jumpReLU(let theirs) = saved.activation else {
            Issue.record("not JumpReLU: \(trained.activation), \(saved.activation)"); return
        }
        #expect(maxRelativeError(ours, theirs) <= 1e-6)
        // The batch comes in another row order (one shuffled epoch): sums differ by rounding only.
        #expect(maxRelativeError(trained.wEnc.storage, saved.wEnc.storage) <= 1e-5)
        #expect(maxRelativeError(trained.bEnc, saved.bEnc) <= 1e-5)
        #expect(maxRelativeError(trained.wDec.storage, saved.wDec.storage) <= 1e-5)
        #expect(maxRelativeError(trained.bDec, saved.bDec) <= 1e-5)
        if c.rescaleActsByDecoderNorm {     // folded: unit decoder rows, unlike the trained parameters
            #expect(trained.decoderRowNorms().allSatisfy { abs($0 - 1) <= 1e-5 })
            #expect(trainer.parameters.decoderRowNorms().contains { abs($0 - 1) > 0.1 })
        }
        // sae_lens's encode of another batch with the directory it saved: ours with it and with ours.
        let encodeX = try f.matrix("encode_x")
        let reference = try f.floats("saved_encode")
        #expect(reference.contains { $0 > 0 })
        #expect(maxRelativeError(saved.encode(encodeX).dense().storage, reference) <= 1e-5)
        #expect(maxRelativeError(trained.encode(encodeX).dense().storage, reference) <= 1e-5)
        // Saved here, it opens in sae_lens (generate.py `swift_written_training_check` reads the
        // committed directory) as a jumprelu SAE whose encode of that batch is ours.
        let committed = Fixtures.directory.appendingPathComponent("swift_written_training/\(name)")
        if ProcessInfo.processInfo.environment["SAETRACK_WRITE_FIXTURES"] == "1" {
            try FileManager.default.createDirectory(at: committed.deletingLastPathComponent(), withIntermediateDirectories: true)
            try trained.save(to: committed)
        }
        #expect(try SAEDirectory.readConfig(committed).architecture == "jumprelu")
        let written = try SparseAutoencoder.load(from: committed)
        #expect(maxRelativeError(written.wEnc.storage, trained.wEnc.storage) <= 1e-5)   // another BLAS kernel: rounding only
        #expect(maxRelativeError(written.wDec.storage, trained.wDec.storage) <= 1e-5)
        let check = try Fixtures.file("swift_written_\(name).safetensors")
        #expect(check.metadata["architecture"] == "jumprelu")
        #expect(maxRelativeError(written.encode(encodeX).dense().storage, try check.floats("feature_acts")) <= 1e-5)
        #expect(maxRelativeError(trained.encode(encodeX).dense().storage, try check.floats("feature_acts")) <= 1e-5)
    }

    @Test("the options are validated by name; configs written before use_matryoshka_aux_loss decode without it")
    func optionsAreValidated() throws {
        var c = SAETrainingConfig(dIn: 4, dSAE: 16, steps: 1)
        c.rescaleActsByDecoderNorm = true
        for a in [SAEArchitecture.standard, .jumprelu] {
            c.architecture = a
            #expect(throws: SAETrainingError.self) { try c.validate() }
        }
        c.k = 2
        for a in [SAEArchitecture.topk, .batchtopk] { c.architecture = a; try c.validate() }
        c.useMatryoshkaAuxLoss = true
        #expect(throws: SAETrainingError.self) { try c.validate() }            // batchtopk
        c.architecture = .matryoshka
        c.matryoshkaWidths = [4, 8]
        try c.validate()
        let data = try JSONEncoder().encode(c)
        #expect(try JSONDecoder().decode(SAETrainingConfig.self, from: data) == c)
        var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(json["use_matryoshka_aux_loss"] as? Bool == true)
        json["use_matryoshka_aux_loss"] = nil
        #expect(try JSONDecoder().decode(SAETrainingConfig.self, from: JSONSerialization.data(withJSONObject: json)).useMatryoshkaAuxLoss == false)
    }
}
