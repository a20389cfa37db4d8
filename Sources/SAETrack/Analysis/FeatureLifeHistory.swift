import Foundation
import SAETrackCore
import SAETrackMetrics

extension TrackAnalysis {
    /// Feature life history along the chain (Docs/Metrics.md, "Feature life history"): the live
    /// count at every checkpoint and, per checkpoint interval, the features born, the features
    /// that died and the planted-label detectors that dissolved.
    ///
    /// With alive_c(i) = feature i fires on at least one evaluation token at checkpoint c and
    /// A_c(i, ℓ) its AUROC for planted label ℓ there:
    /// ```
    /// live_c        = #{ i : alive_c(i) }
    /// births(c−1→c) = #{ i : ¬alive_{c−1}(i) ∧ alive_c(i) }
    /// deaths(c−1→c) = #{ i : alive_{c−1}(i) ∧ ¬alive_c(i) }
    /// detector_c(i, ℓ)  ⇔  alive_c(i) ∧ A_c(i, ℓ) ≥ θ
    /// dissolution(c−1→c) = (i, ℓ) with detector_{c−1}(i, ℓ) ∧ ¬detector_c(i, ℓ)
    /// ```
    public struct LifeHistory: Codable, Equatable {
        /// Checkpoint steps of the chain, in order.
        public var steps: [Int]
        /// Live features at each checkpoint.
        public var live: [Int]
        /// The detector threshold θ on the AUROC (the formation threshold).
        public var threshold: Double
        /// Whether planted labels were available (dissolutions need them).
        public var hasLabels: Bool
        /// One entry per consecutive pair of checkpoints.
        public var intervals: [LifeInterval]
        public init(steps: [Int], live: [Int], threshold: Double, hasLabels: Bool, intervals: [LifeInterval]) {
            self.steps = steps; self.live = live; self.threshold = threshold; self.hasLabels = hasLabels; self.intervals = intervals
        }
    }

    /// What changed between two consecutive checkpoints.
    public struct LifeInterval: Codable, Equatable {
        public var fromStep: Int
        public var toStep: Int
        public var births: Int
        public var deaths: Int
        /// The born and the dead features, increasing (at most 256 each; the counts are exact).
        public var born: [Int]
        public var died: [Int]
        /// Detector pairs (feature, label) at `fromStep`.
        public var detectorsBefore: Int
        /// Number of dissolved pairs (exact), and the listed ones, strongest former detectors first.
        public var dissolutionCount: Int
        public var dissolutions: [Dissolution]
        public init(fromStep: Int, toStep: Int, births: Int, deaths: Int, born: [Int], died: [Int], detectorsBefore: Int,
                    dissolutionCount: Int, dissolutions: [Dissolution]) {
            self.fromStep = fromStep; self.toStep = toStep; self.births = births; self.deaths = deaths; self.born = born
            self.died = died; self.detectorsBefore = detectorsBefore; self.dissolutionCount = dissolutionCount
            self.dissolutions = dissolutions
        }
    }

    /// A feature that detected a planted label at `fromStep` and no longer does at `toStep`.
    public struct Dissolution: Codable, Equatable {
        public var feature: Int
        public var label: String
        public var aurocBefore: Double
        /// Its AUROC for the label at `toStep` (nil: dead there).
        public var aurocAfter: Double?
        public var aliveAfter: Bool
        /// The label's best live feature and AUROC at `toStep` (whether another feature took it over).
        public var labelBestFeatureAfter: Int?
        public var labelBestAurocAfter: Double?
        /// What the feature is at `toStep`: a planted label it is the best detector of, its most
        /// frequent top-activating tokens, or "dead" (as the feature cards label it).
        public var nowLabel: String
        /// Its new top-activating contexts at `toStep` (empty when dead).
        public var top: [FeatureCard.Context]
        public init(feature: Int, label: String, aurocBefore: Double, aurocAfter: Double?, aliveAfter: Bool,
                    labelBestFeatureAfter: Int?, labelBestAurocAfter: Double?, nowLabel: String, top: [FeatureCard.Context]) {
            self.feature = feature; self.label = label; self.aurocBefore = aurocBefore; self.aurocAfter = aurocAfter
            self.aliveAfter = aliveAfter; self.labelBestFeatureAfter = labelBestFeatureAfter
            self.labelBestAurocAfter = labelBestAurocAfter; self.nowLabel = nowLabel; self.top = top
        }
    }
}

/// Builds ``TrackAnalysis/LifeHistory`` while the analysis walks the chain, one checkpoint at a time.
struct FeatureLifeHistoryBuilder {
    /// Feature ids listed per interval for births and deaths.
    static let listLimit = 256
    /// Dissolutions listed (with contexts) per interval.
    static let dissolutionLimit = 24
    /// New top contexts shown per dissolution.
    static let contexts = 3

    let labels: [String]
    let threshold: Double
    let tokens: [Int32]?
    let context: Int
    let decode: (([Int32]) -> [String])?
    private(set) var steps: [Int] = []
    private(set) var live: [Int] = []
    private(set) var intervals: [TrackAnalysis.LifeInterval] = []
    private var previousAlive: [Bool]?
    /// Detector pairs of the previous checkpoint: (feature, label index, AUROC).
    private var previousDetectors: [(feature: Int, label: Int, auroc: Double)] = []

    init(labels: [String], threshold: Double, tokens: [Int32]?, context: Int, decode: (([Int32]) -> [String])?) {
        self.labels = labels; self.threshold = threshold; self.tokens = tokens; self.context = context; self.decode = decode
    }

    /// Adds checkpoint `step`: its codes, live flags, and (with labels) every feature's AUROC
    /// `[label][feature]` and the best-feature summary.
    mutating func add(step: Int, codes: SparseRows, alive: [Bool], aurocs: [[Double?]]?, groundTruth: GroundTruthCheckpoint?) {
        var detectors: [(feature: Int, label: Int, auroc: Double)] = []
        if let aurocs {
            for (li, row) in aurocs.enumerated() {
                for (f, a) in row.enumerated() where alive[f] { if let a, a >= threshold { detectors.append((f, li, a)) } }
            }
        }
        if let prev = previousAlive, let from = steps.last {
            let born = alive.indices.filter { !prev[$0] && alive[$0] }
            let died = alive.indices.filter { prev[$0] && !alive[$0] }
            var gone = previousDetectors.filter { d in
                guard alive[d.feature], let a = aurocs?[d.label][d.feature] else { return true }
                return a < threshold
            }
            // Labels undefined at this checkpoint (no positive or no negative token) cannot dissolve.
            gone = gone.filter { d in aurocs.map { rows in rows[d.label].contains { $0 != nil } } ?? false }
            gone.sort { $0.auroc != $1.auroc ? $0.auroc > $1.auroc : ($0.feature, $0.label) < ($1.feature, $1.label) }
            let listed = Array(gone.prefix(Self.dissolutionLimit))
            var cards = FeatureCardBuilder(features: Array(Set(listed.map(\.feature))).sorted(), tokens: tokens, context: context, decode: decode)
            cards.before = 8; cards.after = 3
            let columns = cards.columns(codes)
            let dissolutions = listed.map { d -> TrackAnalysis.Dissolution in
                let column = columns[d.feature]!
                let now = cards.label(step: step, feature: d.feature, column: column, groundTruth: groundTruth, threshold: threshold)
                let top = ActivationDistribution(activations: column, bins: 1).sorted.suffix(Self.contexts).reversed()
                    .map { cards.contextWindow($0.token, column: column, band: nil) }
                let best = groundTruth?.labels[d.label]
                return .init(feature: d.feature, label: labels[d.label], aurocBefore: d.auroc,
                             aurocAfter: alive[d.feature] ? aurocs?[d.label][d.feature] : nil, aliveAfter: alive[d.feature],
                             labelBestFeatureAfter: best?.bestFeature, labelBestAurocAfter: best?.auroc, nowLabel: now.text,
                             top: Array(top))
            }
            intervals.append(.init(fromStep: from, toStep: step, births: born.count, deaths: died.count,
                                   born: Array(born.prefix(Self.listLimit)), died: Array(died.prefix(Self.listLimit)),
                                   detectorsBefore: previousDetectors.count, dissolutionCount: gone.count, dissolutions: dissolutions))
        }
        steps.append(step)
        live.append(alive.filter { $0 }.count)
        previousAlive = alive
        previousDetectors = detectors
    }

    var result: TrackAnalysis.LifeHistory {
        .init(steps: steps, live: live, threshold: threshold, hasLabels: !labels.isEmpty, intervals: intervals)
    }
}
