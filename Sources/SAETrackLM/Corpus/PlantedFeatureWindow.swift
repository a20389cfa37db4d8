/// When a planted feature's data are in the language model's training stream: a curriculum entry
/// of ``SyntheticCorpusConfig/curriculum``.
///
/// Training step s (zero-based; the batch of step s makes update s + 1, so checkpoint `step{N}` has
/// seen the batches of steps 0…N−1) may contain rows carrying `feature` only when
/// `enterStep ≤ s < leaveStep` (no `leaveStep`: to the end). Outside the window no training batch
/// holds a single token with the feature's label (``TrainingCurriculum``); evaluation rows always do.
public struct PlantedFeatureWindow: Codable, Equatable, Sendable {
    /// A planted feature's name (``PlantedFeature/name``).
    public var feature: String
    /// First training step whose batch may contain the feature (≥ 0).
    public var enterStep: Int
    /// First training step from which no batch contains it again (> `enterStep`); nil: never leaves.
    public var leaveStep: Int?

    enum CodingKeys: String, CodingKey {
        case feature
        case enterStep = "enter_step"
        case leaveStep = "leave_step"
    }

    public init(feature: String, enterStep: Int, leaveStep: Int? = nil) {
        self.feature = feature; self.enterStep = enterStep; self.leaveStep = leaveStep
    }

    /// Whether training step `step`'s batch may contain the feature.
    public func isPresent(atStep step: Int) -> Bool {
        step >= enterStep && leaveStep.map { step < $0 } ?? true
    }

    /// Checks a curriculum against the corpus' feature names; the message names the feature and the problem.
    static func validate(_ windows: [PlantedFeatureWindow], features: [String]) throws {
        func fail(_ s: String) -> SyntheticCorpusError { .invalidConfig("curriculum: " + s) }
        var seen = Set<String>()
        for w in windows {
            guard features.contains(w.feature) else {
                throw fail("unknown feature '\(w.feature)' (planted features: \(features.joined(separator: ", ")))")
            }
            guard seen.insert(w.feature).inserted else { throw fail("'\(w.feature)' is scheduled twice") }
            guard w.enterStep >= 0 else { throw fail("'\(w.feature)': enter_step must be ≥ 0 (got \(w.enterStep))") }
            if let leave = w.leaveStep, leave <= w.enterStep {
                throw fail("'\(w.feature)': leave_step \(leave) must be after enter_step \(w.enterStep)")
            }
        }
    }
}
