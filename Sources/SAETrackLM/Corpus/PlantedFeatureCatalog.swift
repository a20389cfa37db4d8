/// The planted features, their bit in a token's label mask, which tokens carry them, and their
/// target frequencies derived from the config.
///
/// A token's mask is `tokenMask[id] | conceptMask[topic][id] | structural bits`; BOS tokens
/// (document starts and continuation rows) carry no label.
struct PlantedFeatureCatalog {
    /// In bit order.
    let features: [PlantedFeature]
    /// Bits set by the token id alone (token-level features and `number`).
    let tokenMask: [UInt64]
    /// Per topic, bits set by the id inside a document of that topic.
    let conceptMask: [[UInt64]]
    let insideQuotesBit: UInt64
    let insideParenthesesBit: UInt64
    let sentenceStartBit: UInt64

    init(config c: SyntheticCorpusConfig, vocabulary v: SyntheticVocabulary) {
        let templates = SentenceTemplate.all(c, v)
        let w = c.templateWeights
        let weights = [w.plain, w.conjunction, w.quote, w.parenthetical]
        let total = weights.reduce(0, +)
        var perSentence = ExpectedCounts(vocabularySize: v.count)
        for (t, weight) in zip(templates, weights) {
            t.expectation(weight: weight / total, numberIDs: v.numberIDs, quote: v.id("\""), open: v.id("("), close: v.id(")"), into: &perSentence)
        }
        let sentences = Double(c.minSentences + c.maxSentences) / 2
        let documentTokens = 1 + sentences * perSentence.tokens
        // Each row of `context` tokens that starts inside a document repeats BOS: about one extra
        // token per row, so a document occupies documentTokens · context / (context − 1) tokens.
        let occupied = documentTokens * Double(c.context) / Double(c.context - 1)
        let topicShare = 1 / Double(SyntheticVocabulary.topics.count)
        let functionIDs = v.ids(SyntheticVocabulary.functionWords)

        var features: [PlantedFeature] = []
        var tokenMask = [UInt64](repeating: 0, count: v.count)
        var conceptMask = [[UInt64]](repeating: [UInt64](repeating: 0, count: v.count), count: SyntheticVocabulary.topics.count)
        func bit() -> UInt64 { UInt64(1) << UInt64(features.count) }

        func tokenFeature(_ name: String, _ words: [String], _ kind: PlantedFeature.Kind, _ description: String) {
            let ids = v.ids(words)
            for id in ids { tokenMask[Int(id)] |= bit() }
            features.append(PlantedFeature(name: name, kind: kind, description: description,
                                           targetFrequency: sentences * perSentence.expected(of: ids) / occupied))
        }
        tokenFeature("word_the", ["the"], .token, "the token \"the\"")
        tokenFeature("word_and", ["and"], .token, "the token \"and\"")
        tokenFeature("word_says", ["says"], .token, "the token \"says\"")
        tokenFeature("word_it", ["it"], .token, "the token \"it\"")
        tokenFeature("verb", SyntheticVocabulary.verbs, .token, "any of the 10 verbs")
        tokenFeature("suffix_ful", Array(SyntheticVocabulary.adjectives.prefix(5)), .token,
                     "adjectives with the suffix -ful (careful, hopeful, joyful, peaceful, useful)")

        for (t, topic) in SyntheticVocabulary.topics.enumerated() {
            let all = bit()
            for id in 1..<v.count where id != Int(v.bosID) { conceptMask[t][id] |= all }
            features.append(PlantedFeature(name: "topic_\(topic.name)", kind: .concept,
                                           description: "every token of a \(topic.name) document (BOS excluded)",
                                           targetFrequency: topicShare * (documentTokens - 1) / occupied))
            let words = bit()
            for id in v.topicIDs(t) { conceptMask[t][Int(id)] |= words }
            features.append(PlantedFeature(name: "topic_\(topic.name)_words", kind: .concept,
                                           description: "the 16 \(topic.name) words (\(topic.words.prefix(3).joined(separator: ", ")), …)",
                                           targetFrequency: topicShare * sentences * perSentence.topicWords / occupied))
            let function = bit()
            for id in functionIDs { conceptMask[t][Int(id)] |= function }
            features.append(PlantedFeature(name: "topic_\(topic.name)_function_words", kind: .concept,
                                           description: "function words (the, a, and, says, …) inside a \(topic.name) document: only context identifies the topic",
                                           targetFrequency: topicShare * sentences * perSentence.expected(of: functionIDs) / occupied))
        }

        insideQuotesBit = bit()
        features.append(PlantedFeature(name: "inside_quotes", kind: .structural, description: "tokens between an opening and a closing \"",
                                       targetFrequency: sentences * perSentence.insideQuotes / occupied))
        insideParenthesesBit = bit()
        features.append(PlantedFeature(name: "inside_parentheses", kind: .structural, description: "tokens between ( and )",
                                       targetFrequency: sentences * perSentence.insideParentheses / occupied))
        tokenFeature("number", (0..<100).map(String.init), .structural, "number tokens 0–99")
        sentenceStartBit = bit()
        features.append(PlantedFeature(name: "sentence_start", kind: .structural, description: "the first word of each sentence",
                                       targetFrequency: sentences / occupied))
        precondition(features.count <= 64, "PlantedFeatureCatalog: at most 64 features fit a mask")
        self.features = features
        self.tokenMask = tokenMask
        self.conceptMask = conceptMask
    }
}
