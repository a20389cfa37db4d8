import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackSAE

struct SAEDirectoryTests {
    @Test("an SAE saved by sae_lens (save_model) loads here and encodes and decodes the fixture batch identically")
    func loadsSAELensDirectory() throws {
        let (sae, config) = try SparseAutoencoder.loadWithConfig(from: Fixtures.directory.appendingPathComponent("saelens_saved_sae"))
        #expect(sae.dIn == 12 && sae.dSAE == 40 && config.architecture == "standard")
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

    @Test("save → load round-trips all four tensors, architecture, k and provenance; a bad directory is refused")
    func roundTrip() throws {
        let sae = SAEParameters.kaimingUniform(dIn: 6, dSAE: 10, seed: 1).autoencoder
        let config = SAEDirectoryConfig(dIn: 6, dSAE: 10, architecture: "topk", k: 3,
                                        provenance: SAEProvenance(modelName: "m", hookName: "blocks.0.hook_resid_pre",
                                                                  checkpointStep: 128, centered: true))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("saedir-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try sae.save(to: dir, config: config)
        let (back, backConfig) = try SparseAutoencoder.loadWithConfig(from: dir)
        #expect(back == sae)
        #expect(backConfig.k == 3 && backConfig.architecture == "topk" && backConfig.provenance.checkpointStep == 128)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("cfg.json"))
        #expect(throws: (any Error).self) { try SparseAutoencoder.load(from: dir) }
    }
}
