import Foundation
import Testing
@testable import SAETrack
import SAETrackLM

@Suite("Demo end to end")
struct DemoTests {
    @Test("the quick demo (shrunk further) runs corpus → LM → live SAE-Track → baseline → analysis, and analysis.json holds every figure")
    func quickDemo() throws {
        let out = temporaryDirectory("demo")
        defer { try? FileManager.default.removeItem(at: out) }
        var settings = DemoSettings.quick
        settings.corpus.documents = 800
        settings.lm.steps = 24
        settings.schedule = .explicit([0, 8, 24])
        settings.track.firstSteps = 80
        settings.track.continualSteps = 20
        settings.track.dSAE = 128
        settings.saeTrainRows = 64
        settings.evalRows = 12
        var demo = SAETrackDemo(settings: settings, out: out)
        demo.progress = { _ in }
        let result = try demo.run()

        let state = try TrackState.read(from: out.appendingPathComponent("track"))
        #expect(state.stages.map(\.step) == [0, 8, 24] && state.stages.allSatisfy { $0.status == .done })
        #expect(state.stages.allSatisfy { $0.metrics?.ceRecovered != nil && $0.metrics?.lmLoss != nil })
        // Three from-scratch seeds at the final checkpoint: the seed-noise floor.
        #expect(state.config.baselineSeeds == 3 && state.baselines.map(\.step) == [24, 24, 24])
        #expect(state.baselines.map(\.seedIndex) == [0, 1, 2] && state.baselines.allSatisfy { $0.status == .done })
        #expect(state.stages[1].warmStartedFrom == 0 && state.stages[2].warmStartedFrom == 8)

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("analysis/analysis.json"))) as! [String: Any]
        for key in ["summary", "progress", "random_baseline", "cosine_histograms", "trajectories", "convergence", "ground_truth", "feature_cards"] {
            #expect(((json[key] as? [Any]) ?? []).count > 0, "analysis.json: \(key) is empty")
        }
        let drift = json["drift"] as? [String: Any]
        #expect(((drift?["to_final_quantiles"] as? [Any]) ?? []).count == 3)
        #expect(result.analysis.groundTruth.contains { $0.kind == "token" } && result.analysis.groundTruth.contains { $0.kind == "concept" })
        // Feature cards decode tokens with the corpus tokenizer (words, not "#id").
        let contexts = result.analysis.featureCards.flatMap(\.snapshots).flatMap { $0.top + $0.quantileSamples }
        #expect(!contexts.isEmpty && contexts.flatMap(\.tokens).contains { !$0.hasPrefix("#") })
        // Pieces keep the word-level decoder's spaces: a context reads as text, not as words glued together.
        #expect(contexts.contains { $0.tokens.joined().contains(" ") } && contexts.allSatisfy { $0.activations.count == $0.tokens.count })
        // The logit lens reads every card checkpoint's model; each card has a label at every checkpoint.
        #expect(result.analysis.featureCards.allSatisfy { $0.labels.count == 3 && $0.snapshots.allSatisfy { $0.logitLens?.top.count == 8 } })
        let html = try String(contentsOf: result.report, encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("Ground truth") && !html.contains("<script src"))
        #expect(result.summary.last?.hasPrefix("Report: ") == true)
        // The printed summary states the floor (three pairs) and the chain-vs-scratch MCC beside it.
        let floor = try #require(result.analysis.seedFloor?.checkpoints.first)
        #expect(floor.step == 24 && floor.seeds == 3 && floor.pairs.count == 3 && floor.chainVsScratch.count == 3)
        #expect(result.summary.contains { $0.hasPrefix("• Seed floor at step 24: 3 from-scratch SAEs with different seeds agree to dictionary MCC ") && $0.contains("the chain SAE's MCC to them is") })
        #expect(result.summary.contains { $0.hasPrefix("• Drift against seed noise: ") } && html.contains("Seed-noise floor"))
        #expect(result.analysis.seedFloor?.intervals.count == 2)

        // The quick curriculum (music enters at step 4, school leaves at 12) is recorded with the series and compared.
        let log = try TrainingLog.read(from: out.appendingPathComponent("series"))
        #expect(log.curriculum == DemoSettings.quick.corpus.curriculum && log.curriculum?.count == 4)
        let timing = try #require(result.analysis.curriculum)
        #expect(timing.events.map { "\($0.feature):\($0.event.rawValue):\($0.scheduledStep):\($0.expectedStep ?? -1)" } == [
            "topic_music:onset:4:8", "topic_music_words:onset:4:8", "topic_school:dissolution:12:24", "topic_school_words:dissolution:12:24"])
        let csv = try String(contentsOf: out.appendingPathComponent("analysis/curriculum.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 5 && csv.hasPrefix("feature,event,scheduled_step,expected_step,detected_step,error_intervals,error_steps\n"))
        #expect(result.summary.contains { $0.hasPrefix("• Curriculum timing: ") } && html.contains("Curriculum: scheduled against detected timing"))
    }
}
