import Foundation
import SAETrackLM

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
    public var checkpointEvery = 100

    /// Docs/Demo.md: ~57k documents, 600 LM steps with checkpoints log:60 (19), d_sae 1024,
    /// 164k SAE training tokens and 8k evaluation tokens per checkpoint.
    public static var standard: DemoSettings {
        DemoSettings(corpus: .demo, lm: LMTrainingConfig(), schedule: .logSpaced(every: 60), track: .demo,
                     saeTrainRows: 1280, evalRows: 64)
    }

    /// A smoke run: 2k documents, 60 LM steps, 5 checkpoints, a 256-feature SAE.
    public static var quick: DemoSettings {
        var lm = LMTrainingConfig()
        lm.steps = 60; lm.batchRows = 8; lm.warmupSteps = 10; lm.logEvery = 20
        return DemoSettings(corpus: .quick, lm: lm, schedule: .explicit([0, 4, 16, 32, 60]), track: .quick,
                            saeTrainRows: 128, evalRows: 16, checkpointEvery: 50)
    }
}
