/// A feature planted in the synthetic corpus, with its ground-truth label per token.
public struct PlantedFeature: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// Identified by the token alone (particular words, a suffix family).
        case token
        /// A topic, expressed through many words or only through context.
        case concept
        /// Position in the text's structure (quotes, parentheses, numbers, sentence start).
        case structural
    }

    public var name: String
    public var kind: Kind
    public var description: String
    /// Fraction of all tokens (BOS included) the config asks to carry this label.
    public var targetFrequency: Double
    /// Fraction of tokens of the generated corpus that carry it (filled in by `generate`).
    public var measuredFrequency: Double?

    enum CodingKeys: String, CodingKey {
        case name, kind, description
        case targetFrequency = "target_frequency"
        case measuredFrequency = "measured_frequency"
    }

    public init(name: String, kind: Kind, description: String, targetFrequency: Double, measuredFrequency: Double? = nil) {
        self.name = name; self.kind = kind; self.description = description
        self.targetFrequency = targetFrequency; self.measuredFrequency = measuredFrequency
    }
}
