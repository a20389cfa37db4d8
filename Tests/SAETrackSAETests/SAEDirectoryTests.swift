import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackSAE

struct SAEDirectoryTests {
    @Test("an SAE saved by sae_lens (save_model) loads here and encodes and decodes the fixture batch identically")
    func loadsSAELensDirectory() throws {
        let (sae, info) = try SparseAutoencoder.loadWithInfo(from: Fixtures.directory.appendingPathComponent("saelens_saved_sae"))
        #expect(sae.dIn == 12 && sae.dSAE == 40 && info.architecture == .standard)
        let f = try Fixtures.file("saelens_saved_encode.safetensors")
        let x = try f.matrix("x")
        #expect(maxRelativeError(sae.encode(x).storage, try f.floats("feature_acts")) <= 1e-6)
        #expect(maxRelativeError(sae.decode(sae.encode(x)).storage, try f.floats("reconstruction")) <= 1e-5)
    }

    @Test("an SAE directory written here opened in sae_lens (SAE.load_from_disk) and encoded identically (checked by generate.py)")
    func swiftWrittenOpensInSAELens() throws {
        let dir = Fixtures.directory.appendingPathComponent("swift_written_sae")
        let sae = try SparseAutoencoder.load(from: dir)
        let f = try Fixtures.file("swift_written_check.safetensors")
        #expect(maxRelativeError(sae.encode(try f.matrix("x")).storage, try f.floats("saelens_feature_acts")) <= 1e-6)
    }

    @Test("save → load round-trips all four tensors, architecture, k and provenance; bad directories are refused by name")
    func roundTrip() throws {
        let sae = SAEParameters.kaimingUniform(dIn: 6, dSAE: 10, seed: 1).autoencoder
        var info = SAEDirectoryInfo()
        info.architecture = .topk; info.k = 3; info.modelName = "m"; info.hookName = "blocks.0.hook_resid_pre"
        info.provenance["checkpoint_step"] = "128"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("saedir-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try sae.save(to: dir, info: info)
        let (back, backInfo) = try SparseAutoencoder.loadWithInfo(from: dir)
        #expect(back == sae)
        #expect(backInfo == info)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("cfg.json"))
        #expect(throws: SAETrackSAE.SAEDirectoryError.self) { try SparseAutoencoder.load(from: dir) }
    }
}
