import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackSAE

/// The architecture cases of Tests/Fixtures/sae/generate.py (`ARCH_CASES`) and what each must load as.
private let architectureCases: [(name: String, architecture: String)] = [
    ("standard", "standard"), ("standard_no_bdec", "standard"), ("standard_layer_norm", "standard"),
    ("standard_constant_norm", "standard"), ("topk", "topk"), ("topk_rescale", "topk"), ("jumprelu", "jumprelu"),
    ("batchtopk_as_jumprelu", "jumprelu"),
]

struct SAEDirectoryTests {
    @Test("an SAE saved by sae_lens (save_model) loads here and encodes and decodes the fixture batch identically")
    func loadsSAELensDirectory() throws {
        let (sae, config) = try SparseAutoencoder.loadWithConfig(from: Fixtures.directory.appendingPathComponent("saelens_saved_sae"))
        #expect(sae.dIn == 12 && sae.dSAE == 40 && config.architecture == "standard" && sae.activation == .relu)
        let f = try Fixtures.file("saelens_saved_encode.safetensors")
        let x = try f.matrix("x")
        // Tolerance: the encoder GEMM sums d_in = 12 products in another order than torch (float32).
        #expect(maxRelativeError(sae.encode(x).dense().storage, try f.floats("feature_acts")) <= 1e-6)
        #expect(maxRelativeError(sae.decode(sae.encode(x)).storage, try f.floats("reconstruction")) <= 1e-5)
    }

    @Test("SAELens-written directories of every architecture load with their semantics; encode and reconstruct match sae.encode / sae.decode",
          arguments: architectureCases.map(\.name))
    func everyArchitectureMatchesSAELens(_ name: String) throws {
        let dir = Fixtures.directory.appendingPathComponent("saelens/\(name)")
        let (sae, config) = try SparseAutoencoder.loadWithConfig(from: dir)
        let expected = architectureCases.first { $0.name == name }!.architecture
        #expect(sae.activation.saeLensArchitecture == expected && config.architecture == expected)
        switch name {
        case "standard_no_bdec": #expect(!sae.appliesBDecToInput)
        case "standard_layer_norm": #expect(sae.inputNormalization == .layerNorm)
        case "standard_constant_norm": #expect(sae.inputNormalization == .constantNormRescale)
        case "topk": #expect(sae.activation == .topK(5) && !sae.rescalesActsByDecoderNorm)
        case "topk_rescale": #expect(sae.activation == .topK(5) && sae.rescalesActsByDecoderNorm)
        case "jumprelu", "batchtopk_as_jumprelu": #expect(sae.activation.threshold?.count == 40)
        default: #expect(sae.appliesBDecToInput && sae.inputNormalization == .none)
        }
        let f = try Fixtures.file("saelens_architectures.safetensors")
        let x = try f.matrix("\(name).x")
        let (codes, xHat) = sae.encodeAndReconstruct(x)
        // float32 GEMMs in a different summation order than torch: a few ulps of the largest value.
        #expect(maxRelativeError(codes.dense().storage, try f.floats("\(name).feature_acts")) <= 1e-5)
        #expect(maxRelativeError(xHat.storage, try f.floats("\(name).reconstruction")) <= 1e-5)
        #expect(maxRelativeError(sae.reconstruct(x).storage, xHat.storage) == 0)
        if !sae.rescalesActsByDecoderNorm && sae.inputNormalization == .none {
            #expect(maxRelativeError(sae.decode(codes).storage, xHat.storage) == 0)
        }
    }

    @Test("the io/sae/saelens-jumprelu fixture loads as JumpReLU (not ReLU) and encodes as sae_lens does")
    func ioJumpReLUFixture() throws {
        let dir = Fixtures.directory.deletingLastPathComponent().appendingPathComponent("io/sae/saelens-jumprelu")
        let sae = try SparseAutoencoder.load(from: dir)
        guard case .jumpReLU(let threshold) = sae.activation else { Issue.record("loaded as \(sae.activation)"); return }
        #expect(threshold.count == 24 && threshold.contains { $0 != 0 })
        let f = try Fixtures.file("saelens_architectures.safetensors")
        let x = try f.matrix("io_jumprelu.x")
        let reference = try f.floats("io_jumprelu.feature_acts")
        #expect(maxRelativeError(sae.encode(x).dense().storage, reference) <= 1e-5)
        // As ReLU the codes would differ: the threshold removes entries.
        var relu = sae; relu.activation = .relu
        #expect(relu.encode(x).nnz > reference.filter { $0 != 0 }.count)
    }

    @Test("directories SAETrack does not implement are refused, naming the setting",
          arguments: [("gated", "architecture \"gated\""), ("expected_average", "expected_average_only_in"),
                      ("batchtopk_training", "save_inference_model")])
    func refusesByName(_ name: String, _ phrase: String) throws {
        let dir = Fixtures.directory.appendingPathComponent("saelens/\(name)")
        do {
            _ = try SparseAutoencoder.load(from: dir)
            Issue.record("\(name) loaded")
        } catch let e as SAELayoutError {
            guard case .unsupported(let d, _) = e else { Issue.record("wrong error \(e)"); return }
            #expect(d == dir.path)
            #expect(e.description.contains(phrase), "\(e.description)")
        }
    }

    @Test("an SAE directory written here opened in sae_lens (SAE.load_from_disk) and encoded identically (checked by generate.py)")
    func swiftWrittenOpensInSAELens() throws {
        let dir = Fixtures.directory.appendingPathComponent("swift_written_sae")
        let sae = try SparseAutoencoder.load(from: dir)
        let f = try Fixtures.file("swift_written_check.safetensors")
        #expect(maxRelativeError(sae.encode(try f.matrix("x")).dense().storage, try f.floats("saelens_feature_acts")) <= 1e-6)
    }

    /// Re-saves every SAELens fixture SAE with SAETrack's writer. With SAETRACK_WRITE_FIXTURES=1 it
    /// writes them to Tests/Fixtures/sae/swift_written/ (then generate.py opens them in sae_lens);
    /// otherwise it checks that the writer still produces those committed bytes, and that sae_lens's
    /// encode of the committed directories (swift_written_architectures.safetensors) matches ours.
    @Test("SAE directories of every architecture written here open in sae_lens as the same architecture and encode identically",
          arguments: architectureCases.map(\.name))
    func writesFixtureDirectories(_ name: String) throws {
        let sae = try SparseAutoencoder.load(from: Fixtures.directory.appendingPathComponent("saelens/\(name)"))
        let committed = Fixtures.directory.appendingPathComponent("swift_written/\(name)")
        if ProcessInfo.processInfo.environment["SAETRACK_WRITE_FIXTURES"] == "1" {
            try FileManager.default.createDirectory(at: committed.deletingLastPathComponent(), withIntermediateDirectories: true)
            try sae.save(to: committed)
            return
        }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("saedir-\(name)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try sae.save(to: tmp)
        for file in [SAEDirectory.configFile, SAEDirectory.saeLensWeightsFile] {
            #expect(FileManager.default.contents(atPath: tmp.appendingPathComponent(file).path)
                    == FileManager.default.contents(atPath: committed.appendingPathComponent(file).path), "\(name)/\(file)")
        }
        let back = try SparseAutoencoder.load(from: committed)
        #expect(back == sae)
        let check = try Fixtures.file("swift_written_architectures.safetensors")
        #expect(check.metadata["\(name).architecture"] == sae.activation.saeLensArchitecture)
        let x = try Fixtures.file("saelens_architectures.safetensors").matrix("\(name).x")
        let (codes, xHat) = back.encodeAndReconstruct(x)
        #expect(maxRelativeError(codes.dense().storage, try check.floats("\(name).feature_acts")) <= 1e-5)
        #expect(maxRelativeError(xHat.storage, try check.floats("\(name).reconstruction")) <= 1e-5)
    }

    @Test("save → load round-trips the weights, the activation, b_dec-on-input, normalisation and provenance; a bad directory is refused")
    func roundTrip() throws {
        let p = SAEParameters.kaimingUniform(dIn: 6, dSAE: 10, seed: 1)
        let provenance = SAEProvenance(modelName: "m", hookName: "blocks.0.hook_resid_pre", checkpointStep: 128, centered: true)
        for activation in [SAEActivation.relu, .topK(3), .jumpReLU(threshold: (0..<10).map { Float($0) * 0.01 })] {
            var sae = p.autoencoder(activation: activation)
            sae.appliesBDecToInput = activation != .relu
            sae.inputNormalization = activation == .relu ? .layerNorm : .none
            sae.rescalesActsByDecoderNorm = activation == .topK(3)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("saedir-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            try sae.save(to: dir, provenance: provenance)
            let (back, backConfig) = try SparseAutoencoder.loadWithConfig(from: dir)
            #expect(back == sae)
            #expect(backConfig.provenance.checkpointStep == 128 && backConfig.architecture == activation.saeLensArchitecture)
            try FileManager.default.removeItem(at: dir.appendingPathComponent("cfg.json"))
            #expect(throws: (any Error).self) { try SparseAutoencoder.load(from: dir) }
        }
    }
}
