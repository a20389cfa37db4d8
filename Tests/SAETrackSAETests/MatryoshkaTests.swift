import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackSAE

/// Matryoshka BatchTopK training against SAELens 6.54.12's `MatryoshkaBatchTopKTrainingSAE`
/// (Tests/Fixtures/sae/generate.py, `saelens_matryoshka_case`, widths 8, 20, 40): codes, the outer
/// and every inner level's reconstruction loss, AuxK, every gradient, one Adam step, the running
/// threshold, and the JumpReLU SAE SAELens saves from it.
struct MatryoshkaTests {
    func config(_ f: SafetensorsFile) -> SAETrainingConfig {
        var c = Fixtures.saeLensTrainingConfig(f, .matryoshka)
        c.matryoshkaWidths = f.metadata["widths"]!.split(separator: ",").map { Int($0)! }
        c.k = Int(Fixtures.scalar(f, "k"))
        return c
    }

    @Test("Matryoshka codes, outer and inner-level MSEs, AuxK and every gradient match sae_lens; one Adam step matches torch",
          arguments: ["matryoshka_auxk", "matryoshka_plain"])
    func objectiveMatchesSAELens(_ name: String) throws {
        let f = try Fixtures.file("saelens_\(name).safetensors")
        let dead = try Fixtures.deadFeatures(f)
        let p = SAEParameters(try Fixtures.sae(f))
        let c = config(f)
        #expect(c.matryoshkaLevels == [8, 20, 40])
        let result = Threads.withCount(2) {
            SAEObjective(c).evaluate(p, batch: try! f.matrix("x"), deadFeatures: dead)
        }
        // float32 sums in another order than torch's: relative 1e-5 of the largest entry.
        #expect(maxRelativeError(result.codes.dense().storage, try f.floats("feature_acts")) <= 1e-5)
        #expect(relativeError(result.terms.mse, Fixtures.scalar(f, "mse")) <= 1e-5)
        #expect(result.innerMSE.count == 2)
        for (h, w) in [8, 20].enumerated() {
            #expect(relativeError(result.innerMSE[h], Fixtures.scalar(f, "inner_mse_\(w)")) <= 1e-5, "level \(w)")
        }
        // The inner levels differ from the outer one: the nested losses are really computed.
        #expect(abs(result.innerMSE[0] - result.terms.mse) > 1e-3 * result.terms.mse)
        #expect(abs(result.terms.auxK - Fixtures.scalar(f, "aux_k")) <= 1e-5 * max(1, Fixtures.scalar(f, "aux_k")))
        if !dead.isEmpty { #expect(result.terms.auxK > 0) }
        #expect(relativeError(result.terms.loss, Fixtures.scalar(f, "loss")) <= 1e-5)
        let g = try #require(result.gradients)
        try expectGradientsMatch(f, g)
        try expectAdamStepMatches(f, from: p, gradients: g)
    }

    @Test("a Matryoshka trainer step updates the running threshold as sae_lens does; the saved JumpReLU SAE equals sae_lens's and encodes identically")
    func trainerStepMatchesSAELens() throws {
        let f = try Fixtures.file("saelens_matryoshka_plain.safetensors")
        var initial = try Fixtures.sae(f)
        initial.activation = .jumpReLU(threshold: [Float](repeating: Fixtures.scalar(f, "threshold_before"), count: 40))
        let trainer = try SAETrainer(config: config(f), initial: initial, source: InMemoryActivations(try f.matrix("x"), seed: 1))
        #expect(trainer.topkThreshold == Double(Fixtures.scalar(f, "threshold_before")))
        try trainer.trainStep()
        #expect(abs(trainer.topkThreshold - Double(f.metadata["threshold_after"]!)!) <= 1e-6)
        let trained = trainer.sae
        let saved = try SparseAutoencoder.load(from: Fixtures.directory.appendingPathComponent("saelens/matryoshka_plain"))
        #expect(f.metadata["saved_architecture"] == "jumprelu")
        guard case .jumpReLU(let ours) = trained.activation, case .jumpReLU(let theirs) = saved.activation else {
            Issue.record("not JumpReLU: \(trained.activation), \(saved.activation)"); return
        }
        #expect(maxRelativeError(ours, theirs) <= 1e-6)
        // The batch comes in another row order (one shuffled epoch): sums differ by rounding only.
        #expect(maxRelativeError(trained.wEnc.storage, saved.wEnc.storage) <= 1e-5)
        #expect(maxRelativeError(trained.bEnc, saved.bEnc) <= 1e-5)
        #expect(maxRelativeError(trained.wDec.storage, saved.wDec.storage) <= 1e-5)
        #expect(maxRelativeError(trained.bDec, saved.bDec) <= 1e-5)
        // sae_lens's encode of another batch with the directory it saved, and ours of it.
        let codes = saved.encode(try f.matrix("encode_x")).dense()
        #expect(maxRelativeError(codes.storage, try f.floats("saved_encode")) <= 1e-5)
        #expect(codes.storage.contains { $0 > 0 })
        // Saved here, it opens in sae_lens (Tests/Fixtures/sae/generate.py, `swift_written_matryoshka`,
        // reads the committed directory written by SAETRACK_WRITE_FIXTURES=1) as a jumprelu SAE
        // whose encode of that batch is ours.
        let committed = Fixtures.directory.appendingPathComponent("swift_written_training/matryoshka_plain")
        if ProcessInfo.processInfo.environment["SAETRACK_WRITE_FIXTURES"] == "1" {
            try FileManager.default.createDirectory(at: committed.deletingLastPathComponent(), withIntermediateDirectories: true)
            try trained.save(to: committed)
        }
        let written = try SparseAutoencoder.load(from: committed)
        #expect(maxRelativeError(written.wEnc.storage, trained.wEnc.storage) <= 1e-5)   // another BLAS kernel: rounding only
        #expect(maxRelativeError(written.wDec.storage, trained.wDec.storage) <= 1e-5)
        let check = try Fixtures.file("swift_written_matryoshka.safetensors")
        #expect(check.metadata["architecture"] == "jumprelu")
        #expect(maxRelativeError(written.encode(try f.matrix("encode_x")).dense().storage, try check.floats("feature_acts")) <= 1e-5)
        // Saved here, it is a SAELens jumprelu directory that loads back to the same SAE.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("matryoshka-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try trained.save(to: dir)
        #expect(try SAEDirectory.readConfig(dir).architecture == "jumprelu")
        #expect(try SparseAutoencoder.load(from: dir) == trained)
    }

    @Test("Matryoshka widths are validated by name; d_sae is appended as the last level when missing; old configs decode without widths")
    func widthsAreValidated() throws {
        var c = SAETrainingConfig(dIn: 4, dSAE: 16, steps: 1)
        c.architecture = .matryoshka
        c.k = 2
        #expect(throws: SAETrainingError.self) { try c.validate() }            // empty
        c.matryoshkaWidths = [4, 4, 16]
        #expect(throws: SAETrainingError.self) { try c.validate() }            // not increasing
        c.matryoshkaWidths = [4, 32]
        #expect(throws: SAETrainingError.self) { try c.validate() }            // beyond d_sae
        c.matryoshkaWidths = [4, 8]
        try c.validate()
        #expect(c.matryoshkaLevels == [4, 8, 16])
        var t = SAETrainingConfig(dIn: 4, dSAE: 16, steps: 1)
        t.matryoshkaWidths = [4]
        #expect(throws: SAETrainingError.self) { try t.validate() }            // not a matryoshka run
        let data = try JSONEncoder().encode(c)
        #expect(try JSONDecoder().decode(SAETrainingConfig.self, from: data) == c)
        var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(json["matryoshka_widths"] as? [Int] == [4, 8])
        json["matryoshka_widths"] = nil
        #expect(try JSONDecoder().decode(SAETrainingConfig.self, from: JSONSerialization.data(withJSONObject: json)).matryoshkaWidths == [])
    }
}
