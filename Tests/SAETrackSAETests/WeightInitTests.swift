import Foundation
import Testing
import SAETrackCore
@testable import SAETrackSAE

/// SAELens's tied initialisation (`--weight-init saelens`): decoder rows of norm decoder_init_norm,
/// W_enc = W_decᵀ, zero biases; the SAE-Track initialisation stays the default.
struct WeightInitTests {
    @Test("tied init: W_encᵀ equals W_dec, every decoder row has the requested norm, biases are zero; b_dec zeros is kept by the trainer")
    func tiedInit() throws {
        var config = SAETrainingConfig(dIn: 12, dSAE: 40, steps: 1)
        #expect(config.weightInit == .saeTrack && config.decoderInitNorm == 0.1)
        config.weightInit = .tied
        config.decoderInitNorm = 0.25
        config.bDecInit = .zeros
        config.decoderNormMode = .free
        try config.validate()
        let x = Matrix(rows: 64, cols: 12, storage: (0..<(64 * 12)).map { Float(($0 * 37) % 11) - 5 })
        let trainer = try SAETrainer(config: config, source: InMemoryActivations(x, seed: 1))
        let p = trainer.parameters
        #expect(p.wEncT.storage == p.wDec.storage)
        #expect(p.decoderRowNorms().allSatisfy { abs($0 - 0.25) <= 1e-6 })
        #expect(p.bEnc.allSatisfy { $0 == 0 } && p.bDec.allSatisfy { $0 == 0 })
        // Distinct random directions, and the default init differs (independent encoder).
        #expect(Set(p.wDec.storage).count > 40 * 12 / 2)
        let standard = SAEParameters.kaimingUniform(dIn: 12, dSAE: 40, seed: config.seed)
        #expect(standard.wEncT.storage != standard.wDec.storage)
        config.decoderInitNorm = 0
        #expect(throws: SAETrainingError.self) { try config.validate() }
    }
}
