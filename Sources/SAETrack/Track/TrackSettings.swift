import Foundation
import SAETrackSAE

/// The SAE hyper-parameters of a track in one place, with presets: the paper's (Docs/Method.md §4.2)
/// and the embedded demo's (Docs/Demo.md). `trackConfig(...)` turns them into a `TrackConfig`.
public struct TrackSettings: Codable, Equatable, Sendable {
    /// Dictionary size; nil means `expansion × d_in`.
    public var dSAE: Int?
    public var expansion: Int = 64
    /// Tokens per SAE step.
    public var batchSize: Int = 4096
    public var firstSteps: Int
    public var continualSteps: Int
    public var firstLR: Float = 4e-4
    public var continualLR: Float = 4e-5
    public var firstWarmup: Int = 5000
    public var continualWarmup: Int = 3
    public var l1Coefficient: Float = 8e-5
    /// Activations sampled for the geometric-median b_dec of the first stage.
    public var bDecInitSamples: Int = 262_144
    public var logEvery: Int = 100
    public var seed: UInt64 = 42
    /// The SAE architecture of every stage (default: the paper's `standard`); settings saved before
    /// architectures existed decode as standard.
    @DecodedDefault<TrainingDefaults.Architecture> public var architecture: SAEArchitecture
    /// TopK / BatchTopK: active latents per token (default 32).
    @DecodedDefault<TrainingDefaults.K> public var k: Int
    /// Matryoshka: the nested levels' prefix widths (`SAETrainingConfig.matryoshkaWidths`; default none).
    @DecodedDefault<TrainingDefaults.NoWidths> public var matryoshkaWidths: [Int]
    /// Matryoshka: AuxK per level in every stage (`SAETrainingConfig.useMatryoshkaAuxLoss`, SAELens
    /// `use_matryoshka_aux_loss`; default false, what settings saved before the option existed decode as).
    @DecodedDefault<TrainingDefaults.False> public var useMatryoshkaAuxLoss: Bool
    /// TopK, BatchTopK, Matryoshka: select on pre-activations × decoder row norms in every stage
    /// (`SAETrainingConfig.rescaleActsByDecoderNorm`, SAELens `rescale_acts_by_decoder_norm`; default
    /// false, what settings saved before the option existed decode as). TopK stages are saved with the
    /// option, BatchTopK / Matryoshka stages as JumpReLU SAEs with the norms folded in.
    @DecodedDefault<TrainingDefaults.False> public var rescaleActsByDecoderNorm: Bool
    /// JumpReLU: the training options of every stage (SAELens keys and defaults; the L0 warm-up
    /// applies to the first stage only, the continual stages start from its thresholds). Settings
    /// saved before the options existed decode with SAELens's defaults.
    @DecodedDefault<TrainingDefaults.JumpReLU> public var jumpReLU: SAEJumpReLUTraining
    /// The first stage's from-scratch initialisation and every stage's gradient clipping
    /// (`SAEInitChoices`: `auto` — the default, and what settings saved before the option existed
    /// decode as — resolves per architecture; the paper's ReLU recipe resolves to SAE-Track's).
    @DecodedDefault<TrainingDefaults.AutoInit> public var initialisation: SAEInitChoices
    /// Dead-feature resampling in the first stage (`DeadFeatureResampling`, Docs/Method.md §5.5);
    /// nil — the paper and demo presets, and settings saved before the option existed — means none.
    public var firstResampling: DeadFeatureResampling? = nil
    /// Dead-feature resampling in every continual stage, steps counted from the stage's start (0: on
    /// the new checkpoint's activations before the first update); nil = none (the paper).
    public var continualResampling: DeadFeatureResampling? = nil
    /// Ghost grads in every continual stage for features silent for more than this many of the
    /// stage's steps (`SAETrainingConfig.deadFeatureWindow`; Docs/Method.md §5.6). nil — the paper,
    /// and settings saved before the option existed — keeps the paper's 10¹¹-step window (never).
    public var continualDeadFeatureWindow: Int? = nil
    /// Streamed training data per stage (``TrackStream``); nil = `--train-rows` held in memory.
    public var stream: TrackStream? = nil

    public init(firstSteps: Int, continualSteps: Int) {
        self.firstSteps = firstSteps
        self.continualSteps = continualSteps
    }

    /// The paper's settings: 300M tokens (73,243 steps of 4096) from scratch, 15M tokens (3,663
    /// steps) per continual stage, lr 4e-4 / 4e-5, warm-up 5000 / 3, l1 8e-5, ×64.
    public static let paper = TrackSettings(firstSteps: 73_243, continualSteps: 3_663)

    /// The demo's settings (Docs/Demo.md, "settings that worked"): d_sae 1024, batch 1024,
    /// stage 0 800 steps at lr 4e-3 (warm-up 50), continual 150 steps at lr 4e-4 (warm-up 3) with
    /// ghost grads for features silent for more than 3 steps, l1 8e-4.
    public static var demo: TrackSettings {
        var s = TrackSettings(firstSteps: 800, continualSteps: 150)
        s.dSAE = 1024; s.batchSize = 1024; s.firstLR = 4e-3; s.continualLR = 4e-4; s.firstWarmup = 50
        s.l1Coefficient = 8e-4; s.bDecInitSamples = 16_384; s.logEvery = 10
        s.continualDeadFeatureWindow = 3
        return s
    }

    /// `TrackSettings.demo` with dead-feature resampling (Docs/Method.md §5.5; `saetrack demo --resample-dead`):
    /// at steps 200, 400, 600 of the first stage and 0, 50, 100 of every continual stage, on top of the
    /// demo's continual-stage ghost grads. It replaces features throughout the chain (Docs/Demo.md).
    public static var demoResampling: TrackSettings {
        var s = demo
        s.firstResampling = DeadFeatureResampling(steps: [200, 400, 600])
        s.continualResampling = DeadFeatureResampling(steps: [0, 50, 100])
        return s
    }

    /// A sub-minute smoke-test version of the demo settings.
    public static var quick: TrackSettings {
        var s = demo
        s.dSAE = 256; s.batchSize = 512; s.firstSteps = 150; s.continualSteps = 30; s.firstWarmup = 20
        s.bDecInitSamples = 4096; s.logEvery = 5
        return s
    }

    /// The first-stage and continual-stage SAE configurations for inputs of width `dIn`.
    public func stageConfigs(dIn: Int) -> (first: SAETrainingConfig, continual: SAETrainingConfig) {
        let m = dSAE ?? expansion * dIn
        var first = SAETrainingConfig.firstStage(dIn: dIn, dSAE: m, tokens: firstSteps * batchSize, batchSize: batchSize, seed: seed)
        first.lr = firstLR; first.warmupSteps = firstWarmup; first.l1Coefficient = l1Coefficient
        first.bDecInitSamples = bDecInitSamples; first.logEvery = logEvery
        first.architecture = architecture; first.k = k; first.matryoshkaWidths = matryoshkaWidths
        first.useMatryoshkaAuxLoss = useMatryoshkaAuxLoss
        first.rescaleActsByDecoderNorm = rescaleActsByDecoderNorm
        first.resampling = firstResampling
        jumpReLU.apply(to: &first)
        initialisation.apply(to: &first)
        var continual = SAETrainingConfig.continualStage(dIn: dIn, dSAE: m, tokens: continualSteps * batchSize, batchSize: batchSize, seed: seed)
        continual.lr = continualLR; continual.warmupSteps = continualWarmup; continual.l1Coefficient = l1Coefficient
        continual.logEvery = logEvery
        continual.architecture = architecture; continual.k = k      // a warm start carries k / thresholds
        continual.matryoshkaWidths = matryoshkaWidths
        continual.useMatryoshkaAuxLoss = useMatryoshkaAuxLoss
        continual.rescaleActsByDecoderNorm = rescaleActsByDecoderNorm
        continual.resampling = continualResampling
        if let w = continualDeadFeatureWindow { continual.deadFeatureWindow = w }
        jumpReLU.apply(to: &continual, warmUp: false)
        initialisation.apply(to: &continual)        // a warm start: only the clipping matters
        return (first, continual)
    }

    /// A track configuration over `steps` of `series` at `hook`.
    public func trackConfig(series: String, hook: String, centered: Bool, dIn: Int, steps: [Int], order: TrackOrder = .forward,
                            baselineSteps: [Int] = [], baselineBudget: BaselineBudget = .cumulative, baselineSeeds: Int = 1,
                            baselineSeedSteps: [Int]? = nil, checkpointEvery: Int = 100) -> TrackConfig {
        let (first, continual) = stageConfigs(dIn: dIn)
        return TrackConfig(series: series, hook: hook, centered: centered, steps: steps, order: order, firstStage: first,
                           continualStage: continual, baselineSteps: baselineSteps, baselineBudget: baselineBudget, baselineSeeds: baselineSeeds,
                           baselineSeedSteps: baselineSeedSteps, checkpointEvery: checkpointEvery, stream: stream)
    }
}
