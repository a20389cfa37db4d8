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
