import Foundation
import SAETrackSAE

/// Chain direction over the chosen checkpoints (Docs/Method.md §5.1: the published chains run forward
/// from step 0; `pipeline.py`'s defaults ran backward from the last checkpoint).
public enum TrackOrder: String, Codable, CaseIterable, Sendable {
    case forward, backward
}

/// How much training the independent from-scratch baseline gets at a checkpoint.
public enum BaselineBudget: String, Codable, Sendable {
    /// As many steps as the whole chain up to and including that stage (first stage + k continual
    /// stages): the compute SAE-Track actually spent to get there. The default.
    case cumulative
    /// As many steps as the first (from-scratch) stage: the paper's per-checkpoint baseline.
    case firstStage
}

/// Everything that determines a track's result. Stored in `track.json`; a restart must pass the
/// same configuration (checked field by field).
public struct TrackConfig: Codable, Equatable, Sendable {
    /// The checkpoint series directory (`step{N}/` or `checkpoint-{N}/` subdirectories).
    public var series: String
    /// Hook name, TransformerLens style: `blocks.4.hook_resid_pre`.
    public var hook: String
    /// Subtract each token's mean over d_model (TransformerLens `center_writing_weights`).
    public var centered: Bool
    /// Checkpoint steps in chain order (already ordered by `order`).
    public var steps: [Int]
    public var order: TrackOrder
    /// First-stage (from scratch) and continual-stage SAE settings (Docs/Method.md §4.2).
    public var firstStage: SAETrainingConfig
    public var continualStage: SAETrainingConfig
    /// Steps at which a from-scratch baseline is also trained.
    public var baselineSteps: [Int]
    public var baselineBudget: BaselineBudget
    /// From-scratch SAEs trained at each baseline step, each with its own seed
    /// (``baselineConfig(index:seed:)``): 1 (the default) is the single baseline of every track
    /// written before seed counts existed; S ≥ 2 measures the seed-noise floor there
    /// (``TrackAnalysis/SeedNoiseFloor``, Docs/Method.md §8.4). Recorded in `track.json` as
    /// `baseline_seeds` only when it is not 1, so tracks with one baseline keep their files.
    public var baselineSeeds: Int {
        get { recordedBaselineSeeds ?? 1 }
        set { recordedBaselineSeeds = newValue == 1 ? nil : newValue }
    }
    private var recordedBaselineSeeds: Int?
    /// The baseline steps that get all ``baselineSeeds`` seeds; the other baseline steps get seed
    /// index 0 only (the independent per-checkpoint SAEs of a head-to-head beside a seed floor at a
    /// few checkpoints). nil — and every track written before the option existed — gives every
    /// baseline step all its seeds. Recorded as `baseline_seed_steps` only when set.
    public var baselineSeedSteps: [Int]?
    /// Save a resumable trainer state every this many SAE steps.
    public var checkpointEvery: Int
    /// Streamed training data (``TrackStream``: fresh tokens per stage through the mixing buffer);
    /// nil — and every track written before streaming existed — trains on `--train-rows` of
    /// activations held in memory, the same rows at every checkpoint.
    public var stream: TrackStream?

    enum CodingKeys: String, CodingKey {
        case series, hook, centered, steps, order
        case firstStage = "first_stage", continualStage = "continual_stage"
        case baselineSteps = "baseline_steps", baselineBudget = "baseline_budget", recordedBaselineSeeds = "baseline_seeds"
        case baselineSeedSteps = "baseline_seed_steps", checkpointEvery = "checkpoint_every", stream
    }

    public init(series: String, hook: String, centered: Bool, steps: [Int], order: TrackOrder = .forward,
                firstStage: SAETrainingConfig, continualStage: SAETrainingConfig, baselineSteps: [Int] = [],
                baselineBudget: BaselineBudget = .cumulative, baselineSeeds: Int = 1, baselineSeedSteps: [Int]? = nil,
                checkpointEvery: Int = 50, stream: TrackStream? = nil) {
        self.series = series; self.hook = hook; self.centered = centered
        self.steps = order == .forward ? steps.sorted() : steps.sorted(by: >)
        self.order = order; self.firstStage = firstStage; self.continualStage = continualStage
        self.baselineSteps = baselineSteps; self.baselineBudget = baselineBudget
        self.recordedBaselineSeeds = baselineSeeds == 1 ? nil : baselineSeeds
        self.baselineSeedSteps = baselineSeedSteps
        self.checkpointEvery = checkpointEvery
        self.stream = stream
    }

    /// From-scratch SAEs at baseline step `step`: ``baselineSeeds`` where ``baselineSeedSteps``
    /// allows (or is nil), else 1.
    public func baselineSeeds(atStep step: Int) -> Int {
        baselineSeedSteps.map { $0.contains(step) } ?? true ? max(1, baselineSeeds) : 1
    }

    /// Seed of the mixing store of stage `index` (or its baseline of seed index `seed`): with
    /// ``StageTokens/same`` one seed for every stage and baseline, so every checkpoint sees its
    /// tokens in the same order; otherwise the stage's (or baseline's) own seed.
    public func storeSeed(index: Int, baseline: Bool, seed: Int = 0) -> UInt64 {
        if stream?.stageTokens == .same { return firstStage.seed ^ 0x5707_E5EE_D000_0000 }
        return (baseline ? baselineConfig(index: index, seed: seed) : stageConfig(index: index)).seed ^ 0x5707_E5EE_D000_0000
    }

    /// SAE training steps of the baseline at chain position `index` (0-based).
    public func baselineTrainingSteps(atStageIndex index: Int) -> Int {
        switch baselineBudget {
        case .cumulative: return firstStage.steps + index * continualStage.steps
        case .firstStage: return firstStage.steps
        }
    }

    /// The SAE configuration of stage `index`, seeded per stage so every stage draws fresh batches.
    public func stageConfig(index: Int) -> SAETrainingConfig {
        var c = index == 0 ? firstStage : continualStage
        c.seed = (index == 0 ? firstStage.seed : continualStage.seed) &+ UInt64(index) &* 1_000_003
        return c
    }

    /// The from-scratch baseline configuration at stage `index` (first-stage settings, the budget's
    /// steps) for seed index `seed` in `0..<baselineSeeds`; seed index 0 is the single baseline of
    /// tracks with one seed (``baselineSeed(_:seedIndex:)`` derives the others).
    public func baselineConfig(index: Int, seed: Int = 0) -> SAETrainingConfig {
        var c = firstStage
        c.steps = baselineTrainingSteps(atStageIndex: index)
        c.seed = Self.baselineSeed(firstStage.seed &+ 0xBA5E &+ UInt64(index) &* 7919, seedIndex: seed)
        return c
    }

    /// The SAE seed of baseline seed index `k` from the baseline's base seed: `base` for k = 0, else
    /// `base ⊕ mix(k · 0xD1B54A32D192ED03)` with `mix` the splitmix64 finaliser. Both steps are
    /// bijections of UInt64 and mix(x) = 0 only for x = 0, so the seeds of k = 0, 1, 2, … are all
    /// distinct, and they are not neighbours in splitmix64's sequence (`SeededRandom` seeds
    /// xoshiro through splitmix64, so `base + k · golden ratio` would give overlapping states).
    public static func baselineSeed(_ base: UInt64, seedIndex k: Int) -> UInt64 {
        guard k != 0 else { return base }
        var x = UInt64(k) &* 0xD1B5_4A32_D192_ED03
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return base ^ (x ^ (x >> 31))
    }

    /// Human-readable differences from `other`, empty when equal (``changes(from:)`` as text).
    public func differences(from other: TrackConfig) -> [String] {
        changes(from: other).map(\.description)
    }
}
