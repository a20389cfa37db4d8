import ArgumentParser
import Foundation
import SAETrack
import SAETrackCLIOptions

/// `saetrack train-lm`: train a small GPT-NeoX or GPT-2 from scratch, saving a checkpoint series.
struct TrainLMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-lm",
        abstract: "Train a small GPT-NeoX or GPT-2 from scratch, saving HF-format checkpoints on a schedule.",
        discussion: """
            Defaults are the demo model (GPT-NeoX, 4 layers, d_model 128, 4 heads, MLP 512, rotary 0.25, \
            context 128; AdamW lr 2e-3, weight decay 0.01, 50 warmup steps then cosine, clip 1.0, \
            batch 16 × 128, 600 steps, checkpoints log:60 = 0,1,2,4,…,128 and every 60 steps). \
            Writes <out>/step{N}/ (config.json + model.safetensors, loadable by transformers), \
            training_log.csv/json and the optimizer state; rerunning on the same --out resumes from the \
            last checkpoint. <out>/fingerprint.json records the token file, the model and training settings and \
            the SAETrack version: a rerun with different ones is refused before any work (--resume-changed \
            continues, --restart deletes this run's checkpoints and starts over). An --out holding checkpoints of \
            another model, or checkpoints train-lm did not write, is refused. Progress on stderr, the \
            checkpoint list on stdout.
            """
    )

    @Option(name: .long, help: "Token file: safetensors with `tokens` I32 [rows, context]. A synthetic corpus' curriculum (`config.curriculum` in the features.json beside it) is followed.")
    var tokens: String

    @Option(name: .long, help: "Series directory to write (created; resumed if it holds a run).")
    var out: String

    @Option(name: .long, help: "A Hugging Face config.json for the model (overrides the architecture flags).")
    var config: String?

    @Option(name: .long, help: "Architecture: neox (GPT-NeoX / Pythia) or gpt2.")
    var arch = LMArchitectureChoice.neox

    @Option(name: .long, help: "Transformer blocks.") var layers = 4
    @Option(name: .customLong("d-model"), help: "Residual width.") var dModel = 128
    @Option(name: .long, help: "Attention heads.") var heads = 4
    @Option(name: .customLong("d-mlp"), help: "MLP width (default 4 × d-model).") var dMLP: Int?
    @Option(name: .customLong("rotary-pct"), help: "GPT-NeoX: fraction of each head's dims that rotate.") var rotaryPct = 0.25
    @Option(name: .customLong("vocab-size"), help: "Vocabulary size (default: the token file's `vocab_size` metadata, else a tokenizer.json beside it, else max id + 1).")
    var vocabSize: Int?
    @Option(name: .long, help: "Tokens per training row (≤ the file's rows).") var context = 128
    @Option(name: .long, help: "Optimizer steps.") var steps = 600
    @Option(name: .customLong("batch-rows"), help: "Rows per batch.") var batchRows = 16
    @Option(name: .long, help: "Peak learning rate.") var lr: Float = 2e-3
    @Option(name: .customLong("min-lr-ratio"), help: "Cosine floor as a fraction of the peak.") var minLRRatio: Float = 0.1
    @Option(name: .long, help: "Linear warmup steps.") var warmup = 50
    @Option(name: .customLong("weight-decay"), help: "AdamW weight decay (matrices and embeddings).") var weightDecay: Float = 0.01
    @Option(name: .long, help: "Global gradient-norm clip (0 = off).") var clip: Float = 1.0
    @Option(name: .long, help: "Seed for the initialisation and the batch order.") var seed: UInt64 = 0
    @Option(name: .long, help: "Checkpoint schedule: log:K (0,1,2,4,… then every K) or list:S1,S2,…")
    var checkpoints = "log:60"
    @Option(name: .customLong("log-every"), help: "Steps between progress lines.") var logEvery = 10
    @Flag(name: .customLong("no-resume"), help: "Same as --restart.") var noResume = false
    @OptionGroup var resume: ResumeOptions
    @Option(name: .customLong("track"), help: "Live SAE-Track into this directory: each stage runs as soon as its checkpoint is written.")
    var trackDirectory: String?
    @OptionGroup(title: "Live SAE-Track (with --track)") var trackOptions: TrackOptions

    func run() throws {
        let tokenURL = URL(fileURLWithPath: tokens)
        let outURL = URL(fileURLWithPath: out).standardizedFileURL
        let data = try TokenDataset(contentsOf: tokenURL)
        let schedule = try CheckpointSchedule(parsing: checkpoints)
        let modelConfig = try makeModelConfig(data)
        var training = LMTrainingConfig()
        training.steps = steps; training.batchRows = batchRows; training.context = context
        training.learningRate = lr; training.minLearningRateRatio = minLRRatio; training.warmupSteps = warmup
        training.weightDecay = weightDecay; training.gradClip = clip; training.seed = seed; training.logEvery = logEvery

        // Preflight: the model transformers would build, tokens inside its vocabulary, the series
        // directory ours and of this model, the inputs those recorded, the live track's hook.
        try Preflight.check(tokens: data, file: tokenURL.path, fit: modelConfig, model: modelConfig.summary)
        if let trackDirectory {
            try Preflight.check(hook: try HookPoint(name: trackOptions.hook), in: modelConfig, model: modelConfig.summary)
            if let t = trackOptions.tokenizer { try Preflight.check(tokenizer: t) }
            try OutputDirectory.requireWritable(URL(fileURLWithPath: trackDirectory))
        }
        try OutputDirectory.removeInterruptedWrites(in: outURL)
        var fingerprint = RunFingerprint()
        try fingerprint.addFile("tokens", tokenURL)
        try fingerprint.addSettings("model", try modelConfig.jsonData())
        try fingerprint.addSettings("training", [String(describing: training), checkpoints])
        let restart = resume.restart || noResume
        try SeriesOwnership.check(outURL, model: modelConfig, restart: restart)
        if restart { try SeriesOwnership.removeRun(in: outURL) }
        let hasWork = !((try? CheckpointSeries(outURL))?.checkpoints.isEmpty ?? true)
        for c in try hasWork ? resume.check(fingerprint, in: outURL, command: "train-lm") : [] {
            StandardError.writeLine("warning: continuing with a changed input: \(c)")
        }
        try OutputDirectory.requireWritable(outURL)
        try fingerprint.write(to: outURL)

        let curriculum = try Self.curriculum(besides: tokenURL, rows: data.rows)
        let trainer = try LMTrainer(config: modelConfig, training: training, tokens: data.tokens, rows: data.rows, context: data.context,
                                    source: tokenURL.path, curriculum: curriculum)
        if let curriculum {
            StandardError.writeLine("train-lm: curriculum of \(curriculum.windows.count) planted features, \(curriculum.phases.count) phases of eligible rows (from steps "
                       + curriculum.phases.map { String($0.start) }.joined(separator: ", ") + ")")
        }
        FileHandle.standardError.write(Data(("train-lm: \(modelConfig.summary), \(trainer.model.parameterCount) parameters, "
            + "\(data.rows) rows × \(data.context) tokens, \(Threads.count) threads\n").utf8))
        StandardError.writeLine("cost: " + CostEstimate.line(steps: steps, batchSize: batchRows * context, dataTokens: data.rows * context)
                   + ", \(schedule.steps(upTo: steps).count) checkpoints")
        let live = try trackDirectory.map {
            try trackOptions.liveTrack(directory: $0, series: out, tokensFile: tokens, lastStep: schedule.steps(upTo: steps).last)
        }
        try trainer.train(schedule: schedule, seriesDirectory: outURL, resume: !restart) { step, dir in
            print("checkpoint step \(step): \(dir.path)")
            try live?.checkpointWritten(step: step, directory: dir)
        }
        try live?.catchUp()
    }

    /// The curriculum of a synthetic corpus whose `features.json` sits beside the token file (nil: none there, or no schedule).
    static func curriculum(besides tokens: URL, rows: Int) throws -> TrainingCurriculum? {
        let dir = tokens.deletingLastPathComponent()
        let manifestURL = dir.appendingPathComponent("features.json")
        guard let data = try? Data(contentsOf: manifestURL),
              let manifest = try? JSONDecoder().decode(SyntheticCorpusOutput.Manifest.self, from: data),
              !(manifest.config.curriculum ?? []).isEmpty else { return nil }
        let corpus = try SyntheticCorpusOutput(contentsOf: dir)
        guard corpus.tokens.rows == rows else {
            throw ValidationError("--tokens \(tokens.path): \(rows) rows, but the corpus in \(dir.path) has \(corpus.tokens.rows); its curriculum cannot be followed")
        }
        return try TrainingCurriculum(corpus: corpus, rows: 0..<rows)
    }

    /// The vocabulary size of a `tokenizer.json` beside the token file (as `saetrack corpus` writes).
    private func siblingTokenizerVocabulary() throws -> Int? {
        let url = URL(fileURLWithPath: tokens).deletingLastPathComponent().appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try Tokenizer(tokenizerJSON: url).vocabSize
    }

    /// The model config from --config or the flags, validated as transformers would (a config
    /// transformers refuses, e.g. 3 heads for d_model 32, is refused before training).
    private func makeModelConfig(_ data: TokenDataset) throws -> ModelConfig {
        if let config { return try ModelConfig.load(from: URL(fileURLWithPath: config)) }
        let c = try flagModelConfig(data)
        try c.validate(source: "train-lm --arch \(arch.rawValue) --d-model \(dModel) --heads \(heads) --layers \(layers)")
        return c
    }

    private func flagModelConfig(_ data: TokenDataset) throws -> ModelConfig {
        let vocab = try vocabSize ?? data.metadata["vocab_size"].flatMap(Int.init) ?? siblingTokenizerVocabulary()
            ?? Int(data.tokens.max() ?? 0) + 1
        let mlp = dMLP ?? 4 * dModel
        switch arch {
        case .neox:
            return .gptNeoX(GPTNeoXConfig(hiddenSize: dModel, numHiddenLayers: layers, numAttentionHeads: heads,
                                          intermediateSize: mlp, vocabSize: vocab, maxPositionEmbeddings: context,
                                          rotaryPct: rotaryPct))
        case .gpt2:
            return .gpt2(GPT2Config(nEmbd: dModel, nLayer: layers, nHead: heads, nPositions: context, vocabSize: vocab,
                                    nInner: mlp, bosTokenID: 0, eosTokenID: 0))
        }
    }
}
