import Foundation
import Testing
@testable import SAETrack

@Suite("Track analysis")
struct AnalysisTests {
    @Test("analyze on a finished chain fills every figure, recovers planted features, and writes JSON, CSV and HTML")
    func analyzeTinyChain() throws {
        let dir = temporaryDirectory("analyze")
        defer { try? FileManager.default.removeItem(at: dir) }
        let provider = DriftingDictionary()
        let run = try SAETrackRun(directory: dir, config: tinyTrackConfig(checkpoints: 4), checkpoints: tinyCheckpoints(4), provider: provider)
        run.progress = { _ in }
        try run.run()
        try provider.evaluationInputs().write(to: dir)
        var analyzer = TrackAnalyzer(directory: dir)
        analyzer.progress = { _ in }
        let a = try analyzer.analyze()
        #expect(a.summary.count == 4 && a.meta.steps == [0, 1, 2, 3])
        #expect(a.progress.count == 4 && a.progress.allSatisfy { !$0.features.isEmpty })
        #expect(a.randomBaseline.count == 4)
        #expect(a.drift.toFinalQuantiles.count == 4 && !a.drift.features.isEmpty)
        // The final checkpoint's cosine to itself is 1; the chain's earlier SAEs stay close (index identity).
        #expect(abs(a.drift.toFinalQuantiles[3][2] - 1) < 1e-5)
        #expect(a.drift.toFinalQuantiles[2][2] > 0.8)
        // The from-scratch SAE, matched one to one, recovers the planted dictionary too (≫ the index-aligned ≈ 0).
        let scratch = try #require(a.drift.scratch)
        #expect(scratch.method == "exactHungarian" && scratch.matched == min(scratch.liveChain, scratch.liveScratch))
        #expect((scratch.matchedMedian ?? 0) > 0.5 && (scratch.mmcsChainToScratch ?? 0) > 0.5, "\(scratch)")
        // Population bands cover every analysed live feature, and bracket the median.
        for p in a.progress {
            let pop = try #require(p.population)
            #expect(pop.features >= p.features.count && pop.median.count == 4)
            for c in 0..<4 { if let lo = pop.q10[c], let m = pop.median[c], let hi = pop.q90[c] { #expect(lo <= m && m <= hi) } }
        }
        #expect(!a.cosineHistograms.isEmpty && !a.trajectories.isEmpty)
        #expect(a.convergence.count == 1)
        // Planted dictionary features are each found by some SAE feature (AUROC > 0.8: 24 directions in 16 dimensions, so not all separable) at every checkpoint.
        #expect(a.groundTruth.count == 4)
        for g in a.groundTruth { #expect(g.auroc.allSatisfy { ($0 ?? 0) > 0.8 }, "\(g.name): \(g.auroc)") }
        #expect(!a.featureCards.isEmpty && a.featureCards.allSatisfy { !$0.snapshots.isEmpty })
        // Life history: the live count is what the stage evaluation measured on the same held-out
        // tokens (its dead fraction), and births − deaths is the change of the live count.
        let life = try #require(a.lifeHistory)
        #expect(life.steps == a.summary.map(\.step) && life.intervals.count == life.steps.count - 1 && life.hasLabels)
        for (k, s) in a.summary.enumerated() { #expect(life.live[k] == Int(((1 - s.deadFraction) * Double(a.meta.dSAE)).rounded()), "step \(s.step)") }
        for (k, iv) in life.intervals.enumerated() { #expect(iv.births - iv.deaths == life.live[k + 1] - life.live[k]) }

        let out = dir.appendingPathComponent("analysis")
        let report = try AnalysisExport.write(a, to: out)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("analysis.json"))) as! [String: Any]
        for key in ["summary", "progress", "random_baseline", "drift", "cosine_histograms", "trajectories", "convergence", "ground_truth", "feature_cards"] {
            #expect(json[key] != nil, "analysis.json lacks \(key)")
        }
        // One naming scheme: a JSON key and the CSV column of the same quantity share a name.
        // (Optional values are left out of JSON where nil, so look at the keys of every row.)
        let summaryKeys = Set(try #require(json["summary"] as? [[String: Any]]).flatMap(\.keys))
        let summaryHeader = try String(contentsOf: out.appendingPathComponent("summary.csv"), encoding: .utf8).split(separator: "\n")[0].split(separator: ",").map(String.init)
        // The tiny chain has no LM, so its LM-loss columns are empty and absent from the JSON.
        for column in summaryHeader where !["ce_recovered", "lm_loss", "reconstructed_loss", "zero_ablated_loss"].contains(column) {
            #expect(summaryKeys.contains(column), "summary.csv column \(column) is not a key of analysis.json's summary rows")
        }
        // analysis.json reads back into the same analysis.
        let back = try AnalysisExport.jsonDecoder.decode(TrackAnalysis.self, from: Data(contentsOf: out.appendingPathComponent("analysis.json")))
        #expect(back == a)
        // Every live feature on request: features.csv covers each feature that fires, at every checkpoint.
        var all = analyzer
        all.exportAllFeatures = true
        all.logitLens = false
        let full = try all.analyze()
        let table = try #require(full.allFeatures)
        let csv = AnalysisExport.featuresCSV(table)
        let live = (0..<32).filter { f in table.density.contains { $0[f] > 0 } }
        #expect(csv.split(separator: "\n").count == 1 + live.count * 4 && live.count > 20)
        for f in AnalysisExport.csvFiles {
            let text = try String(contentsOf: out.appendingPathComponent(f), encoding: .utf8)
            // A chain where no detector dissolved has a header-only dissolutions.csv; one without a curriculum, a header-only
            // curriculum.csv; one with a single seed per baseline step, header-only seed_floor*.csv; one with
            // independent SAEs at fewer than two steps and no crosscoder, header-only head_to_head*.csv.
            let rows = f == "curriculum.csv" ? (a.curriculum == nil ? 0 : 1)
                : f.hasPrefix("seed_floor") ? (a.seedFloor == nil ? 0 : 1)
                : f.hasPrefix("head_to_head") ? (a.headToHead == nil ? 0 : 1)
                : a.lifeHistory!.intervals.contains { !$0.dissolutions.isEmpty } || f != "dissolutions.csv" ? 1 : 0
            #expect(text.split(separator: "\n").count > rows, "\(f) has no rows")
        }
        let html = try String(contentsOf: report, encoding: .utf8)
        #expect(html.contains("Feature drift") && !html.contains("NaN"))
    }
}
