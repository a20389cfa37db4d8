import Foundation
import SAETrackIO
import Testing
@testable import SAETrackLM

@Suite("Curriculum corpus: scheduled planted features in the LM's batches")
struct CurriculumTests {
    static let windows = [
        PlantedFeatureWindow(feature: "topic_music", enterStep: 5),
        PlantedFeatureWindow(feature: "topic_sports", enterStep: 3, leaveStep: 9),
        PlantedFeatureWindow(feature: "topic_food_words", enterStep: 0, leaveStep: 7),
    ]

    @Test("the sampler never yields a row holding a scheduled feature's token outside its window, and does inside it")
    func samplerHonoursWindows() throws {
        var config = SyntheticCorpusConfig(documents: 400, context: 64)
        config.curriculum = Self.windows
        let corpus = try SyntheticCorpus(config: config, seed: 3).generate()
        let rows = corpus.tokens.rows, context = corpus.tokens.context
        let curriculum = try #require(try TrainingCurriculum(corpus: corpus, rows: 0..<rows))
        #expect(curriculum.phases.map(\.start) == [0, 3, 5, 7, 9])
        var sampler = BatchSampler(phases: curriculum.phases, batchRows: 32, seed: 11)
        // Each token's label read from the per-feature label arrays (not from the row tags the sampler used).
        let labels = Dictionary(uniqueKeysWithValues: Self.windows.map { ($0.feature, corpus.label($0.feature)!) })
        var seenInside = Set<String>()
        for step in 0..<14 {
            let batch = sampler.rowIndices(step: step)
            #expect(batch.count == 32 && batch.allSatisfy { (0..<rows).contains($0) })
            for w in Self.windows {
                let carrying = batch.filter { r in labels[w.feature]![(r * context)..<((r + 1) * context)].contains(1) }
                if w.isPresent(atStep: step) {
                    if !carrying.isEmpty { seenInside.insert(w.feature) }
                } else {
                    #expect(carrying.isEmpty, "step \(step): rows \(carrying) hold \(w.feature) outside steps \(w.enterStep)..<\(w.leaveStep ?? .max)")
                }
            }
        }
        #expect(seenInside == Set(Self.windows.map(\.feature)))
        // Any step's batch is computed directly: a fresh sampler asked out of order gives the same rows.
        var fresh = BatchSampler(phases: curriculum.phases, batchRows: 32, seed: 11)
        let late = fresh.rowIndices(step: 12), early = fresh.rowIndices(step: 1)
        var again = BatchSampler(phases: curriculum.phases, batchRows: 32, seed: 11)
        #expect(late == again.rowIndices(step: 12) && early == again.rowIndices(step: 1))
    }

    @Test("one phase of every row is the sampler without a curriculum")
    func singlePhaseIsThePlainOrder() {
        var plain = BatchSampler(rows: 50, batchRows: 7, seed: 5)
        var phased = BatchSampler(phases: [.init(start: 0, rows: Array(0..<50))], batchRows: 7, seed: 5)
        for step in [0, 3, 7, 8, 20] { #expect(plain.rowIndices(step: step) == phased.rowIndices(step: step)) }
        // Each epoch of 50 rows is a permutation: steps 0…6 cover 49 distinct rows.
        var s = BatchSampler(rows: 50, batchRows: 7, seed: 5)
        #expect(Set((0..<7).flatMap { s.rowIndices(step: $0) }).count == 49)
    }

    @Test("the schedule round-trips in the corpus config (snake_case keys) and in the series' training log")
    func roundTrips() throws {
        var config = SyntheticCorpusConfig(documents: 10)
        config.curriculum = Self.windows
        let data = try JSONEncoder().encode(config)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"enter_step\":5") && text.contains("\"leave_step\":9"))
        #expect(try JSONDecoder().decode(SyntheticCorpusConfig.self, from: data) == config)
        // A config written before curricula existed (no key) has none.
        var old = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        old["curriculum"] = nil
        let decoded = try JSONDecoder().decode(SyntheticCorpusConfig.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(decoded.curriculum == nil)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-curriculum-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = TrainingLog(model: "m", training: LMTrainingConfig(), checkpoints: [0, 4], curriculum: Self.windows)
        try log.write(to: dir)
        #expect(try TrainingLog.read(from: dir).curriculum == Self.windows)
        let corpus = try SyntheticCorpus(config: config, seed: 1).generate()
        try corpus.write(to: dir.appendingPathComponent("corpus"))
        #expect(try SyntheticCorpusOutput(contentsOf: dir.appendingPathComponent("corpus")).config.curriculum == Self.windows)
    }

    @Test("bad schedules are refused naming the feature and the problem")
    func badSchedules() throws {
        func refused(_ w: [PlantedFeatureWindow]) -> String? {
            var c = SyntheticCorpusConfig(documents: 10)
            c.curriculum = w
            do { try c.validate(); return nil } catch let SyntheticCorpusError.invalidConfig(m) { return m } catch { return "\(error)" }
        }
        #expect(refused([.init(feature: "topic_music", enterStep: 300, leaveStep: 200)])
                == "curriculum: 'topic_music': leave_step 200 must be after enter_step 300")
        #expect(refused([.init(feature: "topic_music", enterStep: 30, leaveStep: 30)])
                == "curriculum: 'topic_music': leave_step 30 must be after enter_step 30")
        #expect(refused([.init(feature: "topic_music", enterStep: -5)]) == "curriculum: 'topic_music': enter_step must be ≥ 0 (got -5)")
        #expect(refused([.init(feature: "topic_jazz", enterStep: 5)])?.hasPrefix("curriculum: unknown feature 'topic_jazz' (planted features: word_the,") == true)
        #expect(refused([.init(feature: "verb", enterStep: 5), .init(feature: "verb", enterStep: 9)]) == "curriculum: 'verb' is scheduled twice")
        #expect(refused(Self.windows) == nil)
        // A feature in every row (each row of 64 tokens holds a sentence start) leaves nothing to draw before it enters.
        var c = SyntheticCorpusConfig(documents: 200, context: 64)
        c.curriculum = [.init(feature: "sentence_start", enterStep: 10)]
        let corpus = try SyntheticCorpus(config: c, seed: 1).generate()
        #expect(throws: SyntheticCorpusError.invalidConfig("curriculum: from training step 0 no training row is free of sentence_start; schedule features that only some rows carry (e.g. topics)")) {
            _ = try TrainingCurriculum(corpus: corpus, rows: 0..<corpus.tokens.rows)
        }
    }
}
