import Foundation
import Testing
import SAETrackSAE
@testable import SAETrack

/// The presets' dead-feature handling and decoding of settings saved before resampling existed.
struct TrackSettingsTests {
    @Test("the paper and demo presets never resample; demoResampling resamples in both stage kinds")
    func presetsResampling() {
        let paper = TrackSettings.paper.stageConfigs(dIn: 8)
        #expect(paper.first.resampling == nil && paper.continual.resampling == nil)
        #expect(paper.continual.deadFeatureWindow == 100_000_000_000)          // the paper's ghost grads untouched
        let plain = TrackSettings.demo.stageConfigs(dIn: 8)
        #expect(plain.first.resampling == nil && plain.continual.resampling == nil)
        let demo = TrackSettings.demoResampling.stageConfigs(dIn: 8)
        #expect(demo.first.resampling == TrackSettings.demoResampling.firstResampling && demo.first.resampling != nil)
        #expect(demo.continual.resampling?.steps.first == 0)
    }

    @Test("TrackSettings JSON without the resampling keys decodes with no resampling")
    func decodesOldSettings() throws {
        let data = try JSONEncoder().encode(TrackSettings.demoResampling)
        var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(json["firstResampling"] != nil)
        json.removeValue(forKey: "firstResampling"); json.removeValue(forKey: "continualResampling")
        let old = try JSONDecoder().decode(TrackSettings.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.firstResampling == nil && old.continualResampling == nil)
        var expected = TrackSettings.demoResampling
        expected.firstResampling = nil; expected.continualResampling = nil
        #expect(old == expected)
    }
}

/// The initialisation choices of a track: the first stage's init and every stage's clipping.
struct TrackInitChoicesTests {
    @Test("auto: jumprelu tracks train as SAELens's trainer (first stage tied, b_dec 0; clip 1 in every stage); the paper's stays SAE-Track's")
    func autoPerArchitecture() {
        var s = TrackSettings.quick
        s.architecture = .jumprelu
        let j = s.stageConfigs(dIn: 8)
        #expect(j.first.weightInit == .tied && j.first.bDecInit == .zeros && j.first.clipGradNorm == 1)
        #expect(j.continual.clipGradNorm == 1)
        let paper = TrackSettings.paper.stageConfigs(dIn: 8)
        #expect(paper.first.weightInit == .saeTrack && paper.first.bDecInit == .geometricMedian && paper.first.clipGradNorm == nil)
        #expect(paper.continual.clipGradNorm == nil)
    }

    @Test("explicit choices reach both stage configs; settings saved without them decode as auto")
    func explicitAndOld() throws {
        var s = TrackSettings.quick
        s.architecture = .topk; s.k = 4
        s.initialisation = SAEInitChoices(weightInit: .saelens, bDecInit: .mean, clipGradNorm: .norm(2), decoderInitNorm: 0.3)
        let c = s.stageConfigs(dIn: 8)
        #expect(c.first.weightInit == .tied && c.first.bDecInit == .mean && c.first.decoderInitNorm == 0.3 && c.first.clipGradNorm == 2)
        #expect(c.continual.clipGradNorm == 2)
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(s)) as! [String: Any]
        #expect(json["initialisation"] != nil)
        json.removeValue(forKey: "initialisation")
        let old = try JSONDecoder().decode(TrackSettings.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.initialisation == SAEInitChoices())
    }
}
