import Foundation
import Testing
@testable import SAETrack

/// A tiny chain over 3 checkpoints with `seeds` from-scratch baselines at the last one.
private func seededConfig(_ seeds: Int) -> TrackConfig {
    var c = tinyTrackConfig(checkpoints: 3)
    c.baselineSeeds = seeds
    return c
}

@Suite("Seed-noise floor: several from-scratch seeds per baseline step", .serialized)
struct SeedFloorTrackTests {
    @Test("baseline seeds: seed index 0 is the single baseline's seed, the others distinct, and the same on every rerun")
    func seedDerivation() {
        let config = seededConfig(3)
        // Seed index 0 keeps the formula of tracks written before seed counts existed.
        #expect(config.baselineConfig(index: 2, seed: 0).seed == config.firstStage.seed &+ 0xBA5E &+ 2 &* 7919)
        #expect(config.baselineConfig(index: 2) == tinyTrackConfig(checkpoints: 3).baselineConfig(index: 2))
        let seeds = (0..<256).map { TrackConfig.baselineSeed(12_345, seedIndex: $0) }
        #expect(Set(seeds).count == 256)
        #expect(seeds == (0..<256).map { TrackConfig.baselineSeed(12_345, seedIndex: $0) })
        // Not neighbours in splitmix64's sequence (which SeededRandom seeds through).
        #expect(!seeds.contains(12_345 &+ 0x9E37_79B9_7F4A_7C15))
        let configs = (0..<3).map { config.baselineConfig(index: 2, seed: $0) }
        #expect(Set(configs.map(\.seed)).count == 3 && configs.allSatisfy { $0.steps == configs[0].steps })
        // Streamed tracks with per-stage seeds give each baseline seed its own store seed.
        var streamed = config
        streamed.stream = TrackStream(tokensPerStage: 1024, halfBufferTokens: 512, storeBatchRows: 4, stageTokens: .continue)
        #expect(Set((0..<3).map { streamed.storeSeed(index: 2, baseline: true, seed: $0) }).count == 3)
    }

    @Test("S = 2 at a baseline step: two SAEs on disk, the floor and chain-vs-scratch MCC in the analysis, CSVs and report")
    func trackWritesSeedsAndFloor() throws {
        let dir = temporaryDirectory("seeds")
        defer { try? FileManager.default.removeItem(at: dir) }
        let provider = DriftingDictionary()
        let run = try SAETrackRun(directory: dir, config: seededConfig(2), checkpoints: tinyCheckpoints(3), provider: provider)
        run.progress = { _ in }
        try run.run()
        #expect(run.state.baselines.map(\.step) == [2, 2] && run.state.baselines.map(\.seedIndex) == [0, 1])
        #expect(run.state.baselines.map(\.sae) == ["baselines/step2", "baselines/step2-seed1"])
        #expect(run.state.baselines.allSatisfy { $0.status == .done && ($0.metrics?.explainedVariance ?? 0) > 0.5 })
        for f in ["baselines/step2/sae_weights.safetensors", "baselines/step2-seed1/sae_weights.safetensors",
                  "logs/baseline-step2.csv", "logs/baseline-step2-seed1.csv"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path), "\(f) missing")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("state").path))
        let s0 = try TrackSAEFiles.read(from: dir.appendingPathComponent("baselines/step2"))
        let s1 = try TrackSAEFiles.read(from: dir.appendingPathComponent("baselines/step2-seed1"))
        #expect(s0.wDec.storage != s1.wDec.storage, "two seeds trained the same SAE")
        // track.json records the seed count and the seed index of the second baseline.
        let json = try String(contentsOf: dir.appendingPathComponent("track.json"), encoding: .utf8)
        #expect(json.contains("\"baseline_seeds\" : 2") && json.contains("\"seed_index\" : 1"))

        try provider.evaluationInputs().write(to: dir)
        var analyzer = TrackAnalyzer(directory: dir)
        analyzer.progress = { _ in }
        let a = try analyzer.analyze()
        let floor = try #require(a.seedFloor)
        #expect(floor.checkpoints.count == 1)
        let c = floor.checkpoints[0]
        #expect(c.step == 2 && c.seeds == 2 && c.pairs.count == 1 && c.method == "exactHungarian")
        // One pair: mean = min = max. Both seeds recover the planted dictionary, so they agree
        // far above unrelated random directions (≈ 0.3 for 32 rows in 16 dimensions at best).
        let m = try #require(c.floorMean)
        #expect(c.floorMin == m && c.floorMax == m && m > 0.5 && m <= 1)
        #expect(c.chainVsScratch.count == 2 && c.chainVsScratch.allSatisfy { ($0 ?? 0) > 0.5 })
        // The chain-vs-scratch MCC of seed 0 is the existing one-to-one matched mean of the final step.
        let scratch = try #require(a.drift.scratch)
        #expect(abs((c.chainVsScratch[0] ?? .nan) - (scratch.matchedCosineMean ?? .nan)) < 1e-9)
        #expect(abs((c.chainVsScratchMean ?? .nan) - c.chainVsScratch.compactMap { $0 }.reduce(0, +) / 2) < 1e-12)
        // Every interval is judged against the one floor; the chain's consecutive SAEs are close.
        #expect(floor.intervals.map { "\($0.fromStep)-\($0.toStep)" } == ["0-1", "1-2"])
        for iv in floor.intervals {
            let mcc = try #require(iv.mcc), aligned = try #require(iv.indexAlignedCosineMean)
            #expect(iv.floorStep == 2 && iv.floorMean == m && iv.exceedsFloor == (mcc < m))
            // Warm starts keep every feature at its index: matching finds (almost) the identity.
            #expect(mcc > 0.8 && abs(aligned - mcc) < 0.05, "interval \(iv.fromStep)→\(iv.toStep): MCC \(mcc), index-aligned \(aligned)")
        }
        // Convergence compares seed 0 only.
        #expect(a.convergence.count == 1)

        let out = dir.appendingPathComponent("analysis")
        let report = try AnalysisExport.write(a, to: out)
        let back = try AnalysisExport.jsonDecoder.decode(TrackAnalysis.self, from: Data(contentsOf: out.appendingPathComponent("analysis.json")))
        #expect(back == a)
        let rows = try String(contentsOf: out.appendingPathComponent("seed_floor.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 2 && rows[1].hasPrefix("2,2,exactHungarian,"))
        let pairs = try String(contentsOf: out.appendingPathComponent("seed_floor_pairs.csv"), encoding: .utf8).split(separator: "\n")
        #expect(pairs.count == 1 + 1 + 2 && pairs[1].hasPrefix("2,seed0,seed1,") && pairs[2].hasPrefix("2,chain,seed0,"))
        let intervals = try String(contentsOf: out.appendingPathComponent("seed_floor_intervals.csv"), encoding: .utf8).split(separator: "\n")
        #expect(intervals.count == 3 && intervals[0] == "from_step,to_step,mcc,index_aligned_cosine_mean,floor_step,floor_mean,exceeds_floor")
        let html = try String(contentsOf: report, encoding: .utf8)
        #expect(html.contains("Seed-noise floor") && html.contains("seed floor, mean MCC") && html.contains("measured at step 2 (2 seeds)") && !html.contains("NaN"))
        #expect(TrackFindings.sentences(for: a).contains { $0.hasPrefix("Seed floor at step 2: 2 from-scratch SAEs") })
    }

    @Test("a run killed after the first seed resumes with the missing seed only, and ends with the uninterrupted run's files")
    func resumeTrainsOnlyTheMissingSeed() throws {
        let reference = temporaryDirectory("seeds-ref"), resumed = temporaryDirectory("seeds-resumed")
        defer { try? FileManager.default.removeItem(at: reference); try? FileManager.default.removeItem(at: resumed) }
        let ref = try SAETrackRun(directory: reference, config: seededConfig(2), checkpoints: tinyCheckpoints(3), provider: DriftingDictionary())
        ref.progress = { _ in }
        try ref.run()

        // Killed once seed 0 is recorded done, then again midway through seed 1.
        let first = try SAETrackRun(directory: resumed, config: seededConfig(2), checkpoints: tinyCheckpoints(3), provider: DriftingDictionary())
        first.progress = { _ in }
        first.stopAt = { $0 == .stageFinished(step: 2, baseline: true, seed: 0) }
        #expect(throws: TrackError.self) { try first.run() }
        #expect(first.state.baselines.map(\.status) == [.done, .pending])
        let seed0 = resumed.appendingPathComponent("baselines/step2/sae_weights.safetensors")
        let written = try FileManager.default.attributesOfItem(atPath: seed0.path)[.modificationDate] as? Date

        var events: [TrackEvent] = []
        let second = try SAETrackRun(directory: resumed, config: seededConfig(2), checkpoints: tinyCheckpoints(3), provider: DriftingDictionary())
        second.progress = { _ in }
        second.stopAt = { events.append($0); return $0 == .trainerStateSaved(step: 2, saeStep: 150, baseline: true, seed: 1) }
        #expect(throws: TrackError.self) { try second.run() }
        #expect(FileManager.default.fileExists(atPath: resumed.appendingPathComponent("state/baseline-step2-seed1/trainer_state.json").path))

        let third = try SAETrackRun(directory: resumed, config: seededConfig(2), checkpoints: tinyCheckpoints(3), provider: DriftingDictionary())
        var lines: [String] = []
        third.progress = { lines.append($0) }
        third.stopAt = { events.append($0); return false }
        try third.run()
        // Nothing of the chain or of seed 0 ran again: every event after the first kill belongs to seed 1.
        #expect(!events.isEmpty && events.allSatisfy {
            switch $0 {
            case let .trainerStateSaved(step, _, baseline, seed), let .saeWritten(step, baseline, seed), let .stageFinished(step, baseline, seed):
                return step == 2 && baseline && seed == 1
            case .stageStarted: return false
            }
        }, "\(events)")
        #expect(lines.contains { $0.contains("resuming baseline 2 seed 1 at SAE step 150") }, "\(lines)")
        // The log of the resumed seed has every point of the uninterrupted one (the throughput column aside).
        let log = { (d: URL) in try String(contentsOf: d.appendingPathComponent("logs/baseline-step2-seed1.csv"), encoding: .utf8).split(separator: "\n").count }
        #expect(try log(resumed) == log(reference))
        #expect(try FileManager.default.attributesOfItem(atPath: seed0.path)[.modificationDate] as? Date == written)
        for f in ["track.json", "baselines/step2/sae_weights.safetensors", "baselines/step2-seed1/sae_weights.safetensors",
                  "baselines/step2-seed1/cfg.json", "saes/step2/sae_weights.safetensors"] {
            #expect(try Data(contentsOf: reference.appendingPathComponent(f)) == Data(contentsOf: resumed.appendingPathComponent(f)),
                    "\(f) differs after resuming")
        }
    }

    @Test("a rerun with another seed count is refused, naming baseline_seeds; one seed writes no seed fields")
    func changedSeedCountRefused() throws {
        let dir = temporaryDirectory("seeds-changed")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try SAETrackRun(directory: dir, config: seededConfig(1), checkpoints: tinyCheckpoints(3), provider: DriftingDictionary())
        run.progress = { _ in }
        run.stopAt = { if case .stageFinished = $0 { return true }; return false }
        #expect(throws: TrackError.self) { try run.run() }
        let before = try String(contentsOf: dir.appendingPathComponent("track.json"), encoding: .utf8)
        #expect(!before.contains("baseline_seeds") && !before.contains("seed_index"))
        do {
            _ = try SAETrackRun(directory: dir, config: seededConfig(3), checkpoints: tinyCheckpoints(3), provider: DriftingDictionary(),
                                acceptingSafeChanges: true)
            Issue.record("a changed seed count was accepted")
        } catch let TrackError.configMismatch(_, differences) {
            #expect(differences == ["baseline_seeds: 1 → 3 (changes the results)"])
        }
        #expect(try String(contentsOf: dir.appendingPathComponent("track.json"), encoding: .utf8) == before)
        #expect(throws: TrackError.invalidSetting("baseline seeds must be at least 1 (got 0)")) {
            _ = try SAETrackRun(directory: dir.appendingPathComponent("zero"), config: seededConfig(0), checkpoints: tinyCheckpoints(3),
                                provider: DriftingDictionary())
        }
    }
}
