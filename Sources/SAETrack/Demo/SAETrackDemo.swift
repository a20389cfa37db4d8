import Foundation
import SAETrackCore
import SAETrackIO
import SAETrackLM
import SAETrackSAE

/// The embedded demo end to end: synthetic corpus with planted features → tiny GPT-NeoX trained
/// with a log-spaced checkpoint series → SAE-Track run live as checkpoints appear → from-scratch
/// baselines (three seeds at the final checkpoint: the seed-noise floor; one at each other head-to-head checkpoint) →
/// a crosscoder over the head-to-head checkpoints → analysis → `report.html`. Every step is resumable: rerunning on the
/// same output directory continues where it stopped.
///
/// ```
/// <out>/corpus/     tokens.safetensors, labels.safetensors, features.json, tokenizer.json
/// <out>/series/     step{N}/ HF checkpoints + LM training log
/// <out>/track/      track.json, compute.json, saes/, baselines/, crosscoder/, cache/, logs/
/// <out>/analysis/   analysis.json, *.csv, report.html
/// <out>/demo.log    every progress line;  <out>/timings.json
/// ```
public struct SAETrackDemo {
    public var settings: DemoSettings
    public var out: URL
    /// Progress lines (stderr); also appended to `<out>/demo.log`.
    public var progress: (String) -> Void = StandardError.writeLine

    public init(settings: DemoSettings, out: URL) {
        self.settings = settings
        self.out = out
    }

    /// What the demo produced.
    public struct Result {
        public var analysis: TrackAnalysis
        public var report: URL
        /// Wall-clock seconds per phase, in order.
        public var timings: [(phase: String, seconds: Double)]
        /// Findings followed by timings and the report path, ready to print.
        public var summary: [String]
    }

    public func run() throws -> Result {
        let fm = FileManager.default
        try fm.createDirectory(at: out, withIntermediateDirectories: true)
        let log = try RunLog(appendingTo: out.appendingPathComponent("demo.log"), echo: progress)
        let say = log.write
        var timings: [(String, Double)] = []
        var clock = Date()
        func lap(_ phase: String) {
            let now = Date()
            timings.append((phase, now.timeIntervalSince(clock)))
            say(String(format: "demo: %@ took %.1f s", phase, now.timeIntervalSince(clock)))
            clock = now
        }
        let s = settings
        // Results move in their last bits with the BLAS kernel and thread count: record both.
        let kernel = BLASKernel.status
        say("demo: \(Threads.count) threads; \(kernel)")

        // 1. Corpus with planted features (deterministic; written once).
        say("demo: generating the synthetic corpus (\(s.corpus.documents) documents, seed \(s.corpusSeed))")
        let corpus = try SyntheticCorpus(config: s.corpus, seed: s.corpusSeed).generate()
        let corpusDir = out.appendingPathComponent("corpus")
        if !fm.fileExists(atPath: corpusDir.appendingPathComponent("tokenizer.json").path) { try corpus.write(to: corpusDir) }
        let (rows, context) = (corpus.tokens.rows, corpus.tokens.context)
        guard rows > s.evalRows + s.lm.batchRows else {
            throw TrackError.invalidCheckpoints("corpus has \(rows) rows; need more than \(s.evalRows) evaluation rows")
        }
        let lmRows = rows - s.evalRows
        lap("corpus")

        // 2. LM trainer over the rows not held out, and the activation provider for the track.
        let modelConfig = ModelConfig.demoLM(vocabSize: corpus.vocabulary.count, context: context)
        // The curriculum keeps each scheduled feature's rows out of the LM batches outside its window;
        // the SAE training rows and the evaluation rows keep every feature.
        let curriculum = try TrainingCurriculum(corpus: corpus, rows: 0..<lmRows)
        if let curriculum {
            say("demo: curriculum: " + curriculum.windows.map { w in
                "\(w.feature) steps \(w.enterStep)…" + (w.leaveStep.map { "\($0 - 1)" } ?? "end")
            }.joined(separator: ", ") + " (\(curriculum.phases.count) phases of eligible rows: "
                + curriculum.phases.map { "from \($0.start): \($0.rows.count)" }.joined(separator: ", ") + " of \(lmRows))")
        }
        let trainer = try LMTrainer(config: modelConfig, training: s.lm, tokens: Array(corpus.tokens.tokens[..<(lmRows * context)]),
                                    rows: lmRows, context: context, source: corpusDir.appendingPathComponent("tokens.safetensors").path,
                                    curriculum: curriculum)
        let provider = LMActivationProvider(tokens: corpus.tokens.tokens, context: context, trainRows: 0..<min(s.saeTrainRows, lmRows),
                                            evalRows: lmRows..<rows, hook: try HookPoint(name: s.hook), centered: s.centered)
        let evalSlice = (lmRows * context)..<(rows * context)
        let labels = corpus.features.map { f in
            EvaluationInputs.Label(name: f.name, kind: f.kind.rawValue, mask: Array(corpus.label(f.name)![evalSlice]))
        }
        let tokenizerPath = corpusDir.appendingPathComponent("tokenizer.json")
        let seriesDir = out.appendingPathComponent("series"), trackDir = out.appendingPathComponent("track")
        let scheduled = s.schedule.steps(upTo: s.lm.steps)
        let finalStep = scheduled.last ?? s.lm.steps
        if let stray = (s.headToHeadSteps ?? []).first(where: { !scheduled.contains($0) }) {
            throw TrackError.invalidSetting("head-to-head step \(stray) is not a checkpoint of the schedule (\(scheduled.map(String.init).joined(separator: ", ")))")
        }
        let seedSteps = s.baselineSteps ?? [finalStep]
        let baselineSteps = Array(Set(seedSteps + (s.headToHeadSteps ?? []))).sorted()
        let live = LiveTrack(directory: trackDir, series: seriesDir, settings: s.track, hook: s.hook, centered: s.centered,
                             provider: provider, baselineSteps: baselineSteps, baselineBudget: s.baselineBudget,
                             baselineSeeds: s.baselineSeeds, baselineSeedSteps: baselineSteps == seedSteps ? nil : seedSteps,
                             checkpointEvery: s.checkpointEvery)
        live.evaluationInputs = EvaluationInputs(tokens: Array(corpus.tokens.tokens[evalSlice]), context: context,
                                                 tokenizer: tokenizerPath.path, labels: labels)
        live.progress = say
        say("demo: \(modelConfig.summary), \(trainer.model.parameterCount) parameters; \(s.lm.steps) steps × \(s.lm.batchRows * s.lm.context) tokens; checkpoints \(s.schedule.steps(upTo: s.lm.steps).map(String.init).joined(separator: ","))")
        say("demo: SAE-Track runs live at \(s.hook)\(s.centered ? " (centred)" : ""): each stage as soon as its checkpoint is written")

        // 3. LM training with live tracking; stages of checkpoints written by an interrupted earlier run are caught up.
        try trainer.train(schedule: s.schedule, seriesDirectory: seriesDir, progress: { say("lm: " + $0) }) { step, dir in
            try live.checkpointWritten(step: step, directory: dir)
        }
        try live.catchUp()
        lap("LM training + live SAE-Track + baselines")

        // 4. The head-to-head's crosscoder over the compared checkpoints (skipped when already trained).
        if let steps = s.headToHeadSteps {
            let series = try CheckpointSeries(seriesDir).checkpoints
            var config = s.crosscoder
            config.dSAE = live.run?.state.dSAE ?? config.dSAE
            let run = CrosscoderRun(checkpoints: try steps.map { step in
                                        guard let c = series.first(where: { $0.step == step }) else {
                                            throw TrackError.missingCheckpoint(step: step, series: seriesDir.path)
                                        }
                                        return (step, c.url)
                                    },
                                    provider: provider, config: config,
                                    inputs: .init(series: seriesDir.path, tokens: corpusDir.appendingPathComponent("tokens.safetensors").path,
                                                  hook: s.hook, centered: s.centered))
            let dir = trackDir.appendingPathComponent("crosscoder")
            if let record = CrosscoderRun.Record.existing(in: dir), run.isFinished(by: record) {
                say("demo: crosscoder over steps \(steps.map(String.init).joined(separator: ",")) already trained")
            } else {
                say("demo: crosscoder over \(steps.count) checkpoints (the head-to-head's alternative): \(config.steps) steps × \(config.batchSize) tokens, d_sae \(config.dSAE)")
                var logged = run
                logged.progress = say
                try logged.run(to: dir)
            }
            lap("crosscoder")
        }

        // 5. Analysis and report.
        var analyzer = TrackAnalyzer(directory: trackDir)
        analyzer.title = "SAE-Track on the synthetic corpus"
        analyzer.modelDescription = "\(modelConfig.summary) trained \(s.lm.steps) steps on \(s.corpus.documents) synthetic documents"
        analyzer.decode = try TokenDecoding.decoder(tokenizerJSON: tokenizerPath)
        analyzer.progress = say
        analyzer.curriculum = curriculum?.windows
        let analysis = try analyzer.analyze()
        let report = try AnalysisExport.write(analysis, to: out.appendingPathComponent("analysis"))
        lap("analysis + report")

        let total = timings.reduce(0) { $0 + $1.1 }
        let timingJSON = "{\n" + timings.map { String(format: "  \"%@\": %.2f", $0.0, $0.1) }.joined(separator: ",\n")
            + String(format: ",\n  \"total\": %.2f,\n  \"threads\": %d,\n  \"blas_kernel\": \"%@\"\n}\n",
                     total, Threads.count, kernel.running)
        try AtomicFile.write(timingJSON, to: out.appendingPathComponent("timings.json"))
        var summary = TrackFindings.sentences(for: analysis).map { "• " + $0 }
        summary.append(String(format: "Time: %.0f s on %d threads, OpenBLAS %@ kernels (", total, Threads.count, kernel.running)
                       + timings.map { String(format: "%@ %.0f s", $0.0, $0.1) }.joined(separator: ", ") + ").")
        summary.append("Report: \(report.path)")
        return Result(analysis: analysis, report: report, timings: timings, summary: summary)
    }
}
