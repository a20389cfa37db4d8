import Foundation
import Testing
@testable import SAETrackSAE

/// `auto` of `--weight-init`, `--b-dec-init` and `--clip-grad-norm` (`SAEInitChoices`): resolved per
/// architecture and loss form, explicit values win, and the paper's ReLU recipe keeps SAE-Track's.
struct InitChoicesTests {
    func config(_ a: SAEArchitecture, _ mse: SAEMSEMode) -> SAETrainingConfig {
        var c = SAETrainingConfig.firstStage(dIn: 8, dSAE: 32, tokens: 64, batchSize: 16)
        c.architecture = a; c.mseMode = mse
        if a == .matryoshka { c.matryoshkaWidths = [8] }
        if a.usesK { c.k = 4 }
        return c
    }

    @Test("auto resolves to SAELens's trainer for jumprelu and standard --loss saelens, to SAE-Track's for the paper's recipe and the TopK family")
    func autoPerArchitecture() throws {
        let saeLens = SAEInitChoices.Resolved(weightInit: .tied, bDecInit: .zeros, clipGradNorm: 1)
        let saeTrack = SAEInitChoices.Resolved(weightInit: .saeTrack, bDecInit: .geometricMedian, clipGradNorm: nil)
        let expected: [(SAEArchitecture, SAEMSEMode, SAEInitChoices.Resolved)] = [
            (.standard, .saeTrack, saeTrack), (.standard, .saeLens, saeLens),
            (.jumprelu, .saeTrack, saeLens), (.jumprelu, .saeLens, saeLens),
            (.topk, .saeTrack, saeTrack), (.topk, .saeLens, saeTrack),
            (.batchtopk, .saeLens, saeTrack), (.matryoshka, .saeLens, saeTrack),
        ]
        for (a, mse, want) in expected {
            var c = config(a, mse)
            SAEInitChoices().apply(to: &c)
            #expect(SAEInitChoices.Resolved(weightInit: c.weightInit, bDecInit: c.bDecInit, clipGradNorm: c.clipGradNorm) == want,
                    "\(a) \(mse)")
            try c.validate()
        }
    }

    @Test("the paper's ReLU recipe with auto is the config it always was")
    func paperRecipeUnchanged() {
        let plain = config(.standard, .saeTrack)
        var c = plain
        SAEInitChoices().apply(to: &c)
        #expect(c == plain)
    }

    @Test("explicit values override auto, for every architecture")
    func explicitOverrides() {
        for a in [SAEArchitecture.standard, .topk, .batchtopk, .jumprelu, .matryoshka] {
            var c = config(a, .saeLens)
            SAEInitChoices(weightInit: .saelens, bDecInit: .mean, clipGradNorm: .norm(0.5), decoderInitNorm: 0.2).apply(to: &c)
            #expect(c.weightInit == .tied && c.bDecInit == .mean && c.clipGradNorm == 0.5 && c.decoderInitNorm == 0.2, "\(a)")
            SAEInitChoices(weightInit: .saeTrack, bDecInit: .geometricMedian, clipGradNorm: SAEClipGradNormChoice.none).apply(to: &c)
            #expect(c.weightInit == .saeTrack && c.bDecInit == .geometricMedian && c.clipGradNorm == nil, "\(a)")
            SAEInitChoices(bDecInit: .zeros).apply(to: &c)          // the others stay auto
            #expect(c.bDecInit == .zeros && c.weightInit == SAEInitChoices.automatic(architecture: a, mseMode: .saeLens).weightInit)
        }
    }

    @Test("choices round-trip through JSON (auto, none and numbers); a bad clip value is refused by name; a missing key decodes as auto")
    func coding() throws {
        for clip in [SAEClipGradNormChoice.auto, .none, .norm(1)] {
            let v = SAEInitChoices(weightInit: .saelens, bDecInit: .zeros, clipGradNorm: clip, decoderInitNorm: 0.3)
            #expect(try JSONDecoder().decode(SAEInitChoices.self, from: JSONEncoder().encode(v)) == v)
        }
        #expect(SAEClipGradNormChoice(text: "none") == SAEClipGradNormChoice.none)
        #expect(SAEClipGradNormChoice(text: "AUTO") == .auto && SAEClipGradNormChoice(text: "2") == .norm(2))
        #expect(SAEClipGradNormChoice(text: "one") == nil)
        let bad = Data(#"{"weight_init":"auto","b_dec_init_method":"auto","clip_grad_norm":"one","decoder_init_norm":0.1}"#.utf8)
        #expect { try JSONDecoder().decode(SAEInitChoices.self, from: bad) } throws: { "\($0)".contains("clip_grad_norm must be auto, none or a number") }
        struct Holder: Codable { @DecodedDefault<TrainingDefaults.AutoInit> var initialisation: SAEInitChoices }
        #expect(try JSONDecoder().decode(Holder.self, from: Data("{}".utf8)).initialisation == SAEInitChoices())
    }
}
