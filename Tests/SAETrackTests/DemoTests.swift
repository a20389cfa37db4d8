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
        settings.headToHeadSteps = [8, 24]
        settings.crosscoder.steps = 20
        var demo = SAETrackDemo(settings: settings, out: out)
        demo.progress = { _ in }
        let result = try demo.run()

        let state = try TrackState.read(from: out.appendingPathComponent("track"))
        #expect(state.stages.map(\.step) == [0, 8, 24] && state.stages.allSatisfy { $0.status == .done })
        #expect(state.stages.allSatisfy { $0.metrics?.ceRecovered != nil && $0.metrics?.lmLoss != nil })
        // Three from-scratch seeds at the final checkpoint (the seed-noise floor), one at the other head-to-head step.
        #expect(state.config.baselineSeeds == 3 && state.config.baselineSeedSteps == [24] && state.baselines.map(\.step) == [8, 24, 24, 24])
        #expect(state.baselines.map(\.seedIndex) == [0, 0, 1, 2] && state.baselines.allSatisfy { $0.status == .done })
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

        // The head-to-head: chain, independent SAEs and the crosscoder on steps 8 and 24, with measured costs.
        let h = try #require(result.analysis.headToHead)
        #expect(h.steps == [8, 24] && h.methods.map(\.kind) == [.chain, .independent, .crosscoder])
        #expect(h.methods.allSatisfy { $0.recovery.count == 2 && $0.recovery.allSatisfy { $0.labels.count == result.analysis.groundTruth.count } })
        #expect(h.methods.allSatisfy { $0.curriculum?.events.count == 4 && ($0.cost.cpuSeconds ?? 0) > 0 })
        let chainCost = h.method(.chain)!.cost, scratchCost = h.method(.independent)!.cost, crossCost = h.method(.crosscoder)!.cost
        #expect(chainCost.optimizerSteps == state.stages.map(\.trainingSteps).reduce(0, +) && chainCost.runs == 3)
        #expect(scratchCost.runs == 2 && scratchCost.optimizerSteps == 2 * 80 && crossCost.optimizerSteps == 20)
        // The crosscoder holds both checkpoints' training and evaluation activations at once; the chain one checkpoint's.
        #expect(crossCost.activationBytesHeld == 2 * chainCost.activationBytesHeld!)
        let record = try #require(CrosscoderRun.Record.existing(in: out.appendingPathComponent("track/crosscoder")))
        #expect(record.checkpoints == [8, 24] && record.checkpointSHA256 == [8, 24].map { s in state.stages.first { $0.step == s }!.weightsSHA256! })
        let rows = try String(contentsOf: out.appendingPathComponent("analysis/head_to_head.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 7 && rows[0] == "method,step,labels,candidates,recovered,detectors,mean_best_auroc,precision,recall,f1,uniqueness")
        #expect(html.contains("Head-to-head: chain, independent SAEs, crosscoder") && result.summary.contains { $0.hasPrefix("• Head-to-head on steps 8, 24") })

        // A rerun on the same directory trains nothing again, the crosscoder included.
        var again = SAETrackDemo(settings: settings, out: out)
        var lines: [String] = []
        again.progress = { lines.append($0) }
        let second = try again.run()
        #expect(lines.contains("demo: crosscoder over steps 8,24 already trained") && second.analysis.headToHead?.steps == [8, 24])
        #expect(second.analysis.headToHead?.methods.map(\.recovery) == h.methods.map(\.recovery))
    }
}
