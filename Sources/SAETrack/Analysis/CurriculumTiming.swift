import Foundation
import SAETrackCore
import SAETrackLM

extension TrackAnalysis {
    /// Detected formation and dissolution of curriculum features against their scheduled steps
    /// (Docs/Metrics.md, "Onset error against a curriculum").
    ///
    /// With a_c the label's best-feature AUROC at checkpoint c (steps t_0 < … < t_{C−1}) and θ the
    /// formation threshold:
    /// ```
    /// dissolved  d = the first c ≥ 1 with a_{c−1} ≥ θ and a_{c'} < θ for every c' ≥ c   (nil if none)
    /// onset      o = the first c with a_{c'} ≥ θ for every c ≤ c' < (d ?? C)              (nil if a_{d−1}/a_{C−1} < θ)
    /// expected   c*(s) = the first c with t_c > s   (checkpoint t has seen the batches of steps 0…t−1)
    /// error      ε_intervals = index(detected) − c*(s),  ε_steps = t_detected − s
    /// ```
    /// for s = `enter_step` (onset; compared only when > 0) and s = `leave_step` (dissolution).
    /// Medians are of |ε| over the detected events; undetected ones are counted, not imputed.
    public struct CurriculumTiming: Codable, Equatable {
        /// The AUROC threshold θ.
        public var threshold: Double
        /// One row per compared event, in curriculum order (onset before dissolution).
        public var events: [CurriculumEvent]
        /// Median |ε| over detected onsets, dissolutions, and both (nil: none detected).
        public var onsetMedianAbsErrorIntervals: Double?
        public var onsetMedianAbsErrorSteps: Double?
        public var dissolutionMedianAbsErrorIntervals: Double?
        public var dissolutionMedianAbsErrorSteps: Double?
        public var medianAbsErrorIntervals: Double?
        public var medianAbsErrorSteps: Double?
        /// Events whose onset or dissolution was never detected, or whose scheduled step lies after the last checkpoint.
        public var undetected: Int

        public init(threshold: Double, events: [CurriculumEvent]) {
            self.threshold = threshold
            self.events = events
            func median(_ e: [CurriculumEvent], _ key: (CurriculumEvent) -> Int?) -> Double? {
                let v = e.compactMap(key).map { Double(abs($0)) }.sorted()
                return v.isEmpty ? nil : Quantile.linear(sorted: v, 0.5)
            }
            let onsets = events.filter { $0.event == .onset }, dissolutions = events.filter { $0.event == .dissolution }
            onsetMedianAbsErrorIntervals = median(onsets, \.errorIntervals)
            onsetMedianAbsErrorSteps = median(onsets, \.errorSteps)
            dissolutionMedianAbsErrorIntervals = median(dissolutions, \.errorIntervals)
            dissolutionMedianAbsErrorSteps = median(dissolutions, \.errorSteps)
            medianAbsErrorIntervals = median(events, \.errorIntervals)
            medianAbsErrorSteps = median(events, \.errorSteps)
            undetected = events.filter { $0.errorIntervals == nil }.count
        }

        /// Compares the windows with the labels' AUROC curves (features without a curve are skipped).
        public static func compare(windows: [PlantedFeatureWindow], groundTruth: [GroundTruthCurve], threshold: Double) -> CurriculumTiming {
            var events: [CurriculumEvent] = []
            for w in windows {
                guard let curve = groundTruth.first(where: { $0.name == w.feature }) else { continue }
                let (onset, dissolved) = detect(curve.auroc, threshold: threshold)
                if w.enterStep > 0 {
                    events.append(.init(feature: w.feature, event: .onset, scheduledStep: w.enterStep, steps: curve.steps, detected: onset))
                }
                if let leave = w.leaveStep {
                    events.append(.init(feature: w.feature, event: .dissolution, scheduledStep: leave, steps: curve.steps, detected: dissolved))
                }
            }
            return CurriculumTiming(threshold: threshold, events: events)
        }

        /// Checkpoint indices of the detected onset and dissolution of one AUROC curve (nil values count as < θ).
        public static func detect(_ auroc: [Double?], threshold: Double) -> (onset: Int?, dissolved: Int?) {
            let above = auroc.map { ($0 ?? -.infinity) >= threshold }
            var end = above.count
            while end > 0 && !above[end - 1] { end -= 1 }
            // `end` is one past the last checkpoint at or above θ; everything after it stays below.
            guard end > 0 else { return (nil, nil) }
            let dissolved = end < above.count ? end : nil
            var onset = end - 1
            while onset > 0 && above[onset - 1] { onset -= 1 }
            return (onset, dissolved)
        }
    }

    /// One scheduled event of a curriculum feature and what the analysis detected.
    public struct CurriculumEvent: Codable, Equatable {
        public enum Event: String, Codable, Sendable { case onset, dissolution }
        public var feature: String
        public var event: Event
        /// The window's `enter_step` (onset) or `leave_step` (dissolution).
        public var scheduledStep: Int
        /// The first checkpoint that can show it, c*: the first with step > `scheduledStep` (nil: none).
        public var expectedStep: Int?
        /// The checkpoint where it was detected (nil: not detected).
        public var detectedStep: Int?
        /// ε in checkpoint intervals (index(detected) − c*) and in steps (detected − scheduled); nil when either is missing.
        public var errorIntervals: Int?
        public var errorSteps: Int?

        public init(feature: String, event: Event, scheduledStep: Int, steps: [Int], detected: Int?) {
            self.feature = feature; self.event = event; self.scheduledStep = scheduledStep
            let expected = steps.firstIndex { $0 > scheduledStep }
            expectedStep = expected.map { steps[$0] }
            detectedStep = detected.map { steps[$0] }
            if let expected, let detected {
                errorIntervals = detected - expected
                errorSteps = steps[detected] - scheduledStep
            }
        }
    }
}
