import ArgumentParser
import Foundation
import SAETrack

/// The options of `train-sae`, one declaration for `saetrack train-sae` and `saetrack-mpi train-sae`
/// (the sharded trainer refuses, by name, the settings it does not shard): the activation source,
/// the stage column of defaults and the flags over it, and what the run's fingerprint records.
public struct TrainSAEOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, help: "Model directory (config.json + model.safetensors).") public var model: String?
    @Option(name: .long, help: "Hook point, e.g. blocks.4.hook_resid_pre.") public var hook: String?
    @Option(name: .long, help: "Token file: safetensors `tokens` I32 [rows, context].") public var tokens: String?
    @Option(name: .long, help: "Activation file instead of a model: safetensors `activations` [N, d].") public var activations: String?
    @Option(name: .long, help: "Output SAE directory.") public var out: String
    @Option(name: [.customLong("init"), .customLong("initial")], help: "Warm-start from this SAE directory (all four tensors, fresh Adam).") public var initial: String?
    @Option(name: .long, help: "Anchor SAE directory for --reg (default: --init).") public var previous: String?
    @Option(name: .long, help: "Defaults column: first (from scratch) or continual (SAE-Track stage).") public var stage = StageColumn.first
    @Flag(name: .long, help: "Subtract each token's mean over d_model (TransformerLens centring).") public var center = false
    @Flag(name: .customLong("exclude-bos"), help: "Drop BOS positions from the training activations.") public var excludeBOS = false
    @Option(name: .long, help: "Activation cache directory (written on first use, reused after).") public var cache: String?
    @Option(name: .customLong("cache-dtype"), help: "Storage of a new --cache: f32, f16 or bf16 (half the size; values rounded to nearest even).") public var cacheDType = ActivationDTypeChoice.f32
    @OptionGroup public var architectureOptions: ArchitectureOptions
    @OptionGroup public var jumpReLU: JumpReLUOptions
    @OptionGroup public var initialisation: InitOptions
    @Option(name: .customLong("d-sae"), help: "Dictionary size (default: expansion × d_in).") public var dSAE: Int?
    @Option(name: .long, help: "Expansion factor when --d-sae is not given (SAE-Track's unless set).") public var expansion = 64
    @Option(name: .customLong("train-tokens"), help: "Token budget (default: 300M first stage, 15M continual).") public var trainTokens: Int?
    @Option(name: .long, help: "Steps (overrides --train-tokens).") public var steps: Int?
    @Option(name: .customLong("batch-size"), help: "Tokens per step.") public var batchSize = 4096
    @Option(name: .long, help: "Learning rate.") public var lr: Float?
    @Option(name: .long, help: "Warm-up steps.") public var warmup: Int?
    @Option(name: .long, help: "Schedule: constant (with warm-up) or linear-decay.") public var schedule = ScheduleChoice.constant
    @Option(name: .customLong("decay-steps"), help: "linear-decay: length of the final decay.") public var decaySteps = 0
    @Option(name: .customLong("lr-end"), help: "linear-decay: final learning rate.") public var lrEnd: Float = 0
    @Option(name: .long, help: "L1 coefficient (default 8e-5).") public var l1: Float?
    @Option(name: .customLong("l1-warmup"), help: "L1 warm-up steps (0: off).") public var l1Warmup = 0
    @Option(name: .long, help: "Loss form: sae-track (MSE/‖x−mean‖, plain L1) or saelens (Σ MSE, decoder-norm-weighted L1).") public var loss = LossForm.saeTrack
    @Option(name: .customLong("decoder-norm"), help: "unit (w_dec_norm=1) or free (w_dec_norm=0, norm-weighted L1).") public var decoderNorm = DecoderNormChoice.unit
    @Flag(inversion: .prefixedNo, help: "Ghost grads for dead features (standard).") public var ghostGrads = true
    @Option(name: .customLong("dead-window"), help: "Steps without firing before a feature is dead.") public var deadWindow: Int?
    @Option(name: .customLong("sampling-window"), help: "Feature-frequency sampling window (steps).") public var samplingWindow: Int?
    @Option(name: .long, help: "Anchor regularisation toward --previous (Docs/Method.md §5.4).") public var reg: Float = 0
    @Flag(name: .customLong("no-shuffle"), help: "--activations: take batches in file order (batch i = rows i·B..<(i+1)·B, wrapping; b_dec initialised from the first rows) so an outside tool can reproduce every step.") public var noShuffle = false
    @Option(name: .customLong("buffer-tokens"), help: "Half-buffer size of the shuffling store (SAE-Track's unless set).") public var bufferTokens = 262_144
    @Option(name: .customLong("eval-rows"), help: "Held-out token rows (from the end of the token file) for evaluation.") public var evalRows = 16
    @Option(name: .customLong("eval-tokens"), help: "--activations: held-out activations (from the end) for evaluation.") public var evalTokens = 4096
    @Option(name: .customLong("log-every"), help: "Log every N steps.") public var logEvery = 100
    @Option(name: .customLong("save-every"), help: "Save the resumable state every N steps.") public var saveEvery = 500
    @Option(name: .long, help: "Seed.") public var seed: UInt64 = 42
    @Option(name: .long, help: "Threads (default: SAETRACK_THREADS or all cores).") public var threads: Int?
    @OptionGroup public var resume: ResumeOptions

    /// Refuses a missing activation source, `--no-shuffle` without `--activations`, `--stage continual`
    /// without `--init`, JumpReLU flags on another architecture and `--cache-dtype` without `--cache`.
    public func validate() throws {
        if activations == nil && (model == nil || hook == nil || tokens == nil) {
            throw ValidationError("give --model, --hook and --tokens, or --activations")
        }
        if noShuffle && activations == nil { throw ValidationError("--no-shuffle needs --activations (batches in file order)") }
        if stage == .continual && initial == nil { throw ValidationError("--stage continual needs --init") }
        try jumpReLU.check(architecture: architectureOptions.parsed().architecture)
        if cacheDType != .f32 && cache == nil { throw ValidationError("--cache-dtype needs --cache") }
    }

    /// The files this run's result depends on, and its settings, as a fingerprint.
    public func fingerprint() throws -> RunFingerprint {
        var f = RunFingerprint()
        if let activations { try f.addFile("activations", URL(fileURLWithPath: activations)) }
        if let model { try f.addCheckpoint("model", URL(fileURLWithPath: model)) }
        if let tokens { try f.addFile("tokens", URL(fileURLWithPath: tokens)) }
        if let initial { try f.addFile("initial SAE", Self.weightsFile(of: initial)) }
        if let previous { try f.addFile("anchor SAE", Self.weightsFile(of: previous)) }
        let a = architectureOptions
        // Every flag that changes the result (not --threads, --log-every, --save-every), as the raw
        // strings of the flags, so runs fingerprinted when the choices were strings still match.
        let settings: [String] = [hook ?? "", stage.rawValue, "\(center)", "\(excludeBOS)", a.architecture.rawValue, "\(a.k)", "\(dSAE ?? -1)",
                                  "\(expansion)", "\(trainTokens ?? -1)", "\(steps ?? -1)", "\(batchSize)", "\(lr ?? -1)",
                                  "\(warmup ?? -1)", schedule.rawValue, "\(decaySteps)", "\(lrEnd)", "\(l1 ?? -1)", "\(l1Warmup)", loss.rawValue,
                                  decoderNorm.rawValue, "\(ghostGrads)", "\(deadWindow ?? -1)", "\(samplingWindow ?? -1)", "\(reg)",
                                  "\(bufferTokens)", "\(evalRows)", "\(evalTokens)", "\(seed)"]
                                  + (a.matryoshkaWidths.map { ["matryoshka \($0)"] } ?? [])
                                  + (a.architecture == .jumprelu ? [jumpReLU.fingerprint] : [])
                                  + initialisation.fingerprint(architecture: a.architecture, mseMode: loss == .saeLens ? .saeLens : .saeTrack)
                                  + (cacheDType == .f32 ? [] : ["cache dtype \(cacheDType.rawValue)"])
                                  // Added only away from their defaults, so runs fingerprinted before still match.
                                  + (noShuffle ? ["no shuffle"] : [])
                                  + (a.rescaleActsByDecoderNorm ? ["rescale acts by decoder norm"] : [])
                                  + (a.useMatryoshkaAuxLoss ? ["matryoshka aux loss"] : [])
                                  + (a.architecture.selectsBatchTopK && a.topkThresholdLr != 0.01 ? ["topk threshold lr \(a.topkThresholdLr)"] : [])
        try f.addSettings("settings", settings)
        return f
    }

    /// The training config for activations of width `dIn`: the stage column, then the flags.
    public func trainingConfig(dIn: Int) throws -> SAETrainingConfig {
        let d = dSAE ?? expansion * dIn
        let budget = trainTokens ?? (stage == .first ? 300_000_000 : 15_000_000)
        var config = stage == .first
            ? SAETrainingConfig.firstStage(dIn: dIn, dSAE: d, tokens: budget, batchSize: batchSize, seed: seed)
            : SAETrainingConfig.continualStage(dIn: dIn, dSAE: d, tokens: budget, batchSize: batchSize, seed: seed)
        if let steps { config.steps = steps }
        try architectureOptions.apply(to: &config)
        try jumpReLU.training().apply(to: &config)
        if let lr { config.lr = lr }
        if let warmup { config.warmupSteps = warmup }
        config.schedule = schedule == .constant ? .constantWithWarmup : .warmupLinearDecay
        config.decaySteps = decaySteps
        config.lrEnd = lrEnd
        if let l1 { config.l1Coefficient = l1 }
        config.l1WarmupSteps = l1Warmup
        config.mseMode = loss == .saeTrack ? .saeTrack : .saeLens
        config.decoderNormMode = decoderNorm == .unit ? .unitNorm : .free
        config.l1Mode = (loss == .saeLens || decoderNorm == .free) ? .decoderNormWeighted : .plain
        if loss == .saeLens { config.removeParallelGradient = false }
        config.ghostGrads = ghostGrads
        if let deadWindow { config.deadFeatureWindow = deadWindow }
        if let samplingWindow { config.featureSamplingWindow = samplingWindow }
        config.regCoefficient = reg
        config.logEvery = logEvery
        config.saveEvery = saveEvery
        config.bDecInitSamples = min(config.bDecInitSamples, bufferTokens)
        initialisation.choices.apply(to: &config)       // auto resolved for the architecture and loss set above
        return config
    }

    /// The weights file of an SAE directory (either layout), or an error naming what is missing.
    public static func weightsFile(of directory: String) throws -> URL {
        let url = URL(fileURLWithPath: directory)
        switch SAEDirectory.layout(of: url) {
        case .saeLens?: return url.appendingPathComponent(SAEDirectory.saeLensWeightsFile)
        case .sparsify?: return url.appendingPathComponent(SAEDirectory.sparsifyWeightsFile)
        case nil: throw SAELayoutError.missingFile(directory: url.path, file: "\(SAEDirectory.saeLensWeightsFile) or \(SAEDirectory.sparsifyWeightsFile)")
        }
    }

    /// The run log in `--out`: every line the run prints to standard error, UTC-stamped, appended
    /// across resumes and kept by `--restart` (a record of every attempt).
    public static let logFile = "train_sae.log"

    /// Files of a finished or started run in `--out` (removed by `--restart`).
    public static let outputs = ["cfg.json", "sae_weights.safetensors", "evaluation.json", "evaluation_full.json", "training_log.json",
                                 "training_log.csv", "sparsity.safetensors", "training_config.json", "trainer_state", RunFingerprint.fileName]
}
