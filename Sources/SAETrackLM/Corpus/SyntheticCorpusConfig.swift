/// Sizes and grammar probabilities of the synthetic corpus. Every planted feature's target
/// frequency follows from these (`SentenceTemplate.expectation`), and the tests check the
/// generated corpus hits them.
public struct SyntheticCorpusConfig: Codable, Equatable, Sendable {
    /// Relative weights of the four sentence templates.
    public struct TemplateWeights: Codable, Equatable, Sendable {
        /// `D [A] N V D [A] N .` (or `it V …`, or `D [A] N is A .`)
        public var plain: Double
        /// `D [A] N and D [A] N V NUM N .`
        public var conjunction: Double
        /// `D N says [,] " D [A] N V D [A] N " .`
        public var quote: Double
        /// `D [A] N ( D N [NUM] ) V D [A] N .`
        public var parenthetical: Double

        public init(plain: Double, conjunction: Double, quote: Double, parenthetical: Double) {
            self.plain = plain; self.conjunction = conjunction; self.quote = quote; self.parenthetical = parenthetical
        }
    }

    /// Documents to generate (ignored when `rows` is set).
    public var documents: Int
    /// When set, generate documents until exactly this many full rows exist.
    public var rows: Int?
    /// Tokens per row.
    public var context: Int
    /// Sentences per document, uniform in `minSentences...maxSentences`.
    public var minSentences: Int
    public var maxSentences: Int
    public var templateWeights: TemplateWeights
    /// Probability that a noun phrase carries an adjective.
    public var adjectiveProbability: Double
    /// Probability that a plain clause's subject is "it".
    public var pronounSubjectProbability: Double
    /// Probability that a plain clause is `… is ADJ .` instead of `… VERB D N .`.
    public var copulaProbability: Double
    /// Probability of the comma in `says , "`.
    public var sayCommaProbability: Double
    /// Probability of a number inside a parenthetical.
    public var parentheticalNumberProbability: Double
    /// When planted features' data enter (and leave) the language model's training stream
    /// (Docs/UserGuide.md, "A curriculum"); nil or empty: every feature from step 0 to the end.
    /// Generation is unaffected: the corpus holds every feature, and `TrainingCurriculum` keeps
    /// the rows carrying a feature out of the training batches outside its window.
    public var curriculum: [PlantedFeatureWindow]?

    enum CodingKeys: String, CodingKey {
        case documents, rows, context
        case minSentences = "min_sentences", maxSentences = "max_sentences"
        case templateWeights = "template_weights"
        case adjectiveProbability = "adjective_probability"
        case pronounSubjectProbability = "pronoun_subject_probability"
        case copulaProbability = "copula_probability"
        case sayCommaProbability = "say_comma_probability"
        case parentheticalNumberProbability = "parenthetical_number_probability"
        case curriculum
    }

    public init(documents: Int, rows: Int? = nil, context: Int = 128, minSentences: Int = 4, maxSentences: Int = 12,
                templateWeights: TemplateWeights = .init(plain: 0.4, conjunction: 0.2, quote: 0.2, parenthetical: 0.2),
                adjectiveProbability: Double = 0.4, pronounSubjectProbability: Double = 0.15, copulaProbability: Double = 0.2,
                sayCommaProbability: Double = 0.5, parentheticalNumberProbability: Double = 0.5,
                curriculum: [PlantedFeatureWindow]? = nil) {
        self.documents = documents; self.rows = rows; self.context = context
        self.minSentences = minSentences; self.maxSentences = maxSentences
        self.templateWeights = templateWeights
        self.adjectiveProbability = adjectiveProbability
        self.pronounSubjectProbability = pronounSubjectProbability
        self.copulaProbability = copulaProbability
        self.sayCommaProbability = sayCommaProbability
        self.parentheticalNumberProbability = parentheticalNumberProbability
        self.curriculum = curriculum
    }

    /// Docs/Demo.md: ~4.3M tokens in rows of 128.
    public static let demo = SyntheticCorpusConfig(documents: 57_000)
    /// A small corpus for tests and `--quick` runs (~160k tokens).
    public static let quick = SyntheticCorpusConfig(documents: 2_000)

    /// Throws a message naming the first invalid field.
    public func validate() throws {
        func fail(_ s: String) -> SyntheticCorpusError { .invalidConfig(s) }
        if documents < 0 { throw fail("documents must be ≥ 0 (got \(documents))") }
        if let rows, rows < 0 { throw fail("rows must be ≥ 0 (got \(rows))") }
        if context < 2 { throw fail("context must be ≥ 2 (got \(context))") }
        if minSentences < 1 || maxSentences < minSentences { throw fail("need 1 ≤ min_sentences ≤ max_sentences (got \(minSentences), \(maxSentences))") }
        let w = templateWeights
        if [w.plain, w.conjunction, w.quote, w.parenthetical].contains(where: { $0 < 0 }) || w.plain + w.conjunction + w.quote + w.parenthetical <= 0 {
            throw fail("template_weights must be ≥ 0 with a positive sum")
        }
        for (name, p) in [("adjective_probability", adjectiveProbability), ("pronoun_subject_probability", pronounSubjectProbability),
                          ("copula_probability", copulaProbability), ("say_comma_probability", sayCommaProbability),
                          ("parenthetical_number_probability", parentheticalNumberProbability)] where !(0...1).contains(p) {
            throw fail("\(name) must be in [0, 1] (got \(p))")
        }
        if let curriculum {
            try PlantedFeatureWindow.validate(curriculum, features: PlantedFeatureCatalog(config: self, vocabulary: SyntheticVocabulary()).features.map(\.name))
        }
    }
}

/// Errors of the synthetic corpus.
public enum SyntheticCorpusError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case writeFailed(file: String, reason: String)
    case unreadable(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(f, r): return "\(f): cannot read synthetic corpus: \(r)"
        case let .invalidConfig(r): return "synthetic corpus config: \(r)"
        case let .writeFailed(f, r): return "\(f): write failed: \(r)"
        }
    }
}
