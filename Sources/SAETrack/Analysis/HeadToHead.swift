import Foundation
import SAETrackMetrics

extension TrackAnalysis {
    /// The chain against the field's two alternatives on the same checkpoints (Docs/Metrics.md,
    /// "Head-to-head"): independent from-scratch SAEs at each checkpoint (the track's seed-0
    /// baselines) and one cross-snapshot crosscoder over them (`<track>/crosscoder/`), scored on
    /// the planted labels at every compared checkpoint (`LabelRecovery`), on onset timing against
    /// the curriculum, and on what each cost.
    public struct HeadToHead: Codable, Equatable {
        /// The compared checkpoints: those every method has.
        public var steps: [Int]
        /// The AUROC threshold θ of recovery and onset detection.
        public var threshold: Double
        /// A crosscoder latent is a candidate at a snapshot when its decoder norm there is at least
        /// this fraction of its largest (its onset rule, `CrosscoderTrajectories`).
        public var crosscoderPresenceFraction: Double
        /// chain, independent, crosscoder (those present), in that order.
        public var methods: [Method]

        public init(steps: [Int], threshold: Double, crosscoderPresenceFraction: Double, methods: [Method]) {
            self.steps = steps; self.threshold = threshold; self.crosscoderPresenceFraction = crosscoderPresenceFraction
            self.methods = methods
        }

        /// One method's scores and cost.
        public struct Method: Codable, Equatable {
            public enum Kind: String, Codable, Sendable { case chain, independent, crosscoder }
            public var kind: Kind
            /// Planted-label recovery (`LabelRecovery`) at each compared step, in ``HeadToHead/steps`` order.
            public var recovery: [LabelRecovery]
            /// Onsets and dissolutions detected on this method's best-AUROC curves over the compared
            /// steps (nil without a curriculum).
            public var curriculum: CurriculumTiming?
            public var cost: Cost
        }

        /// What a method cost to produce the dictionaries compared.
        public struct Cost: Codable, Equatable {
            /// Optimizer steps (the chain: every stage up to the last compared checkpoint).
            public var optimizerSteps: Int
            /// Activation vectors read in training: steps × batch, × snapshots for the crosscoder.
            public var activationVectors: Int
            /// Measured training-loop seconds (nil when a run's time was not recorded).
            public var cpuSeconds: Double?
            public var wallSeconds: Double?
            /// Largest float32 activation storage held at once.
            public var activationBytesHeld: Int?
            /// Training runs (SAEs or crosscoders).
            public var runs: Int
        }

        /// The method of `kind`, if compared.
        public func method(_ kind: Method.Kind) -> Method? { methods.first { $0.kind == kind } }

        /// Mean of a step measure over the compared steps (nil values skipped).
        public static func mean(_ values: [Double?]) -> Double? {
            let v = values.compactMap { $0 }
            return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
        }
    }
}
