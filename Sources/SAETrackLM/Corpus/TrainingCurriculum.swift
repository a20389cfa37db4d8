/// A curriculum turned into the language model's batch order: which rows each training step may draw.
///
/// A row's tag is the OR of its tokens' label masks. Phase boundaries are step 0 and every
/// `enter_step` / `leave_step` of the windows; in a phase the eligible rows are those whose tag
/// holds no feature absent in that phase. So outside a feature's window no batch holds a token
/// carrying it. Scheduling `topic_sports` removes whole sports documents (every token of one
/// carries it), and with them the `topic_sports_words` and `topic_sports_function_words` tokens;
/// a feature that occurs in nearly every row (`word_the`) leaves nothing to draw and is refused.
public struct TrainingCurriculum: Equatable, Sendable {
    /// The schedule, as in the corpus config (recorded in the series' `training_log.json`).
    public var windows: [PlantedFeatureWindow]
    /// The sampler's phases over the training rows.
    public var phases: [BatchSampler.Phase]

    /// - Parameters:
    ///   - windows: validated against `features`.
    ///   - features: the corpus' planted features in bit order.
    ///   - rowTags: per training row, the OR of its tokens' label masks.
    public init(windows: [PlantedFeatureWindow], features: [String], rowTags: [UInt64]) throws {
        try PlantedFeatureWindow.validate(windows, features: features)
        let bits = windows.map { UInt64(1) << UInt64(features.firstIndex(of: $0.feature)!) }
        let starts = Array(Set([0] + windows.flatMap { [$0.enterStep] + ($0.leaveStep.map { [$0] } ?? []) })).sorted()
        var phases: [BatchSampler.Phase] = []
        for start in starts {
            var absent: UInt64 = 0
            for (w, bit) in zip(windows, bits) where !w.isPresent(atStep: start) { absent |= bit }
            let pool = rowTags.indices.filter { rowTags[$0] & absent == 0 }
            guard !pool.isEmpty else {
                let names = windows.filter { !$0.isPresent(atStep: start) }.map(\.feature)
                throw SyntheticCorpusError.invalidConfig("curriculum: from training step \(start) no training row is free of "
                    + names.joined(separator: ", ") + "; schedule features that only some rows carry (e.g. topics)")
            }
            if phases.last?.rows != pool { phases.append(.init(start: start, rows: pool)) }
        }
        self.windows = windows
        self.phases = phases
    }

    /// The curriculum of `corpus.config` over training rows `rows` of the corpus (nil: no curriculum).
    public init?(corpus: SyntheticCorpusOutput, rows: Range<Int>) throws {
        guard let windows = corpus.config.curriculum, !windows.isEmpty else { return nil }
        try self.init(windows: windows, features: corpus.features.map(\.name), rowTags: corpus.rowTags(rows))
    }
}

extension SyntheticCorpusOutput {
    /// Per row in `rows`, the OR of its tokens' label masks (bit i = `features[i]` occurs in the row).
    public func rowTags(_ rows: Range<Int>) -> [UInt64] {
        let c = tokens.context
        return rows.map { r in masks[(r * c)..<((r + 1) * c)].reduce(0, |) }
    }
}
