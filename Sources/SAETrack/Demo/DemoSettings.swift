import Foundation
import SAETrackLM
import SAETrackSAE

/// What `saetrack demo` runs: the synthetic corpus, the tiny LM and its log-spaced checkpoint
/// series, the hook, and the SAE-Track settings known to show the paper's phenomena
/// (Docs/Demo.md). `quick` is a sub-minute smoke version used by the tests.
public struct DemoSettings: Sendable {
    public var corpus: SyntheticCorpusConfig
    public var corpusSeed: UInt64 = 1
    public var lm: LMTrainingConfig
    public var schedule: CheckpointSchedule
    public var hook = "blocks.2.hook_resid_pre"
    public var centered = true
    public var track: TrackSettings
    /// Token rows (from the start of the corpus) whose activations train the SAEs.
    public var saeTrainRows: Int
    /// Token rows at the end of the corpus held out from LM training: evaluation and analysis.
    public var evalRows: Int
    /// Also train a from-scratch SAE at these checkpoints (nil: the final one).
    public var baselineSteps: [Int]? = nil
    /// The demo's baseline gets the first stage's budget (800 steps, the paper's per-checkpoint
    /// from-scratch SAE); `.cumulative` (the chain's whole 3,500 steps) does not fit in 5 minutes.
    public var baselineBudget: BaselineBudget = .firstStage
    /// From-scratch SAEs with different seeds at each baseline step: three give the seed-noise
    /// floor (three pairwise MCCs) beside the chain-vs-scratch MCC (Docs/Method.md §8.4).
    public var baselineSeeds = 3
    public var checkpointEvery = 100
    /// The head-to-head's checkpoints (nil: none): an independent from-scratch SAE at each (seed 0,
    /// the baseline budget; the seed floor's extra seeds stay at the final step) and one crosscoder
    /// over all of them, written to `<out>/track/crosscoder/`.
    public var headToHeadSteps: [Int]? = nil
    /// The head-to-head's crosscoder (its d_sae is the chain's).
    public var crosscoder = CrosscoderTrainingConfig(dSAE: 1024, sparsity: .batchTopK(k: 16), steps: 800, batchSize: 1024, lr: 2e-3)

    /// Docs/Demo.md: ~57k documents, 600 LM steps with checkpoints log:60 (19), d_sae 1024,
    /// 164k SAE training tokens and 8k evaluation tokens per checkpoint.
    public static var standard: DemoSettings {
        var corpus = SyntheticCorpusConfig.demo
        corpus.curriculum = curriculum
        var s = DemoSettings(corpus: corpus, lm: LMTrainingConfig(), schedule: .logSpaced(every: 60), track: .demo,
                             saeTrainRows: 1280, evalRows: 64)
        s.headToHeadSteps = [60, 120, 180, 240, 300, 360, 420, 480, 600]
        s.crosscoder.warmupSteps = 50
        return s
    }

    /// The demo's curriculum (Docs/Demo.md): three topics' documents enter the LM's training stream
    /// at staggered steps and one leaves; for each, the topic and its nouns are the compared labels.
    /// The other five topics and every token-level and structural feature are there from step 0.
    public static let curriculum: [PlantedFeatureWindow] = topic("music", enter: 100) + topic("health", enter: 200)
        + topic("finance", enter: 300) + topic("school", enter: 0, leave: 400)

    /// Windows for `topic_<name>` and `topic_<name>_words` (the rows are the same: whole documents).
    static func topic(_ name: String, enter: Int, leave: Int? = nil) -> [PlantedFeatureWindow] {
        ["topic_\(name)", "topic_\(name)_words"].map { PlantedFeatureWindow(feature: $0, enterStep: enter, leaveStep: leave) }
    }

    /// A smoke run: 2k documents, 60 LM steps, 5 checkpoints, a 256-feature SAE; music documents
    /// enter at step 4, school documents leave at step 12.
    public static var quick: DemoSettings {
        var lm = LMTrainingConfig()
        lm.steps = 60; lm.batchRows = 8; lm.warmupSteps = 10; lm.logEvery = 20
        var corpus = SyntheticCorpusConfig.quick
        corpus.curriculum = topic("music", enter: 4) + topic("school", enter: 0, leave: 12)
        var s = DemoSettings(corpus: corpus, lm: lm, schedule: .explicit([0, 4, 16, 32, 60]), track: .quick,
                             saeTrainRows: 128, evalRows: 16, checkpointEvery: 50)
        s.headToHeadSteps = [4, 16, 32, 60]
        s.crosscoder = CrosscoderTrainingConfig(dSAE: 256, sparsity: .batchTopK(k: 8), steps: 60, batchSize: 256, lr: 2e-3)
        return s
    }
}
