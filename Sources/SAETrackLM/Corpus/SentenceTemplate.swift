/// One slot of a sentence template. A template is a list of slots; generation samples it,
/// `SentenceTemplate.expectation` computes the expected token counts it produces, so every
/// planted feature's target frequency follows from the config analytically.
indirect enum TemplateSlot {
    /// A fixed token.
    case word(Int32)
    /// One of `ids`, uniformly.
    case pick([Int32])
    /// One of the document topic's words, uniformly.
    case topicWord
    /// One of the number tokens 0–99, uniformly.
    case number
    /// `slots` with probability `p`.
    case optional(Double, [TemplateSlot])
    /// `first` with probability `p`, else `second`.
    case either(Double, [TemplateSlot], [TemplateSlot])
    /// `"` slots `"`: the inner tokens are inside quotes.
    case quoted([TemplateSlot])
    /// `(` slots `)`: the inner tokens are inside parentheses.
    case parenthesized([TemplateSlot])
}

/// Expected counts per sentence (or per document), accumulated by `SentenceTemplate.expectation`.
struct ExpectedCounts {
    /// Expected occurrences of each vocabulary id, topic words excluded.
    var perToken: [Double]
    /// Expected topic-word tokens (spread uniformly over the document topic's words).
    var topicWords = 0.0
    var tokens = 0.0
    var insideQuotes = 0.0
    var insideParentheses = 0.0

    init(vocabularySize: Int) { perToken = [Double](repeating: 0, count: vocabularySize) }

    func expected(of ids: [Int32]) -> Double { ids.reduce(0) { $0 + perToken[Int($1)] } }
}

/// The four sentence templates of Docs/Demo.md, built from the config.
struct SentenceTemplate {
    let slots: [TemplateSlot]

    /// plain, conjunction, quote, parenthetical — in `TemplateWeights` order.
    static func all(_ c: SyntheticCorpusConfig, _ v: SyntheticVocabulary) -> [SentenceTemplate] {
        let det = TemplateSlot.pick(v.ids(SyntheticVocabulary.determiners))
        let adj = TemplateSlot.optional(c.adjectiveProbability, [.pick(v.ids(SyntheticVocabulary.adjectives))])
        let verb = TemplateSlot.pick(v.ids(SyntheticVocabulary.verbs))
        let np: [TemplateSlot] = [det, adj, .topicWord]
        let period = TemplateSlot.word(v.id("."))
        let clause: [TemplateSlot] = np + [verb] + np
        let plainSubject = TemplateSlot.either(c.pronounSubjectProbability, [.word(v.id("it"))], np)
        let plainPredicate = TemplateSlot.either(c.copulaProbability,
                                                 [.word(v.id("is")), .pick(v.ids(SyntheticVocabulary.adjectives))],
                                                 [verb] + np)
        return [
            SentenceTemplate(slots: [plainSubject, plainPredicate, period]),
            SentenceTemplate(slots: np + [.word(v.id("and"))] + np + [verb, .number, .topicWord, period]),
            SentenceTemplate(slots: [det, .topicWord, .word(v.id("says")), .optional(c.sayCommaProbability, [.word(v.id(","))]),
                                     .quoted(clause), period]),
            SentenceTemplate(slots: np + [.parenthesized([det, .topicWord, .optional(c.parentheticalNumberProbability, [.number])])]
                                + [verb] + np + [period]),
        ]
    }

    /// Adds this template's expected counts, times `weight`, to `counts`.
    func expectation(weight: Double, numberIDs: [Int32], quote: Int32, open: Int32, close: Int32, into counts: inout ExpectedCounts) {
        func walk(_ slots: [TemplateSlot], _ w: Double, inQuotes: Bool, inParens: Bool) {
            for slot in slots {
                var emitted = 0.0
                switch slot {
                case let .word(id): counts.perToken[Int(id)] += w; emitted = w
                case let .pick(ids):
                    for id in ids { counts.perToken[Int(id)] += w / Double(ids.count) }
                    emitted = w
                case .topicWord: counts.topicWords += w; emitted = w
                case .number:
                    for id in numberIDs { counts.perToken[Int(id)] += w / Double(numberIDs.count) }
                    emitted = w
                case let .optional(p, inner): walk(inner, w * p, inQuotes: inQuotes, inParens: inParens)
                case let .either(p, a, b):
                    walk(a, w * p, inQuotes: inQuotes, inParens: inParens)
                    walk(b, w * (1 - p), inQuotes: inQuotes, inParens: inParens)
                case let .quoted(inner):
                    counts.perToken[Int(quote)] += 2 * w; emitted = 2 * w
                    if inParens { counts.insideParentheses += 2 * w }
                    walk(inner, w, inQuotes: true, inParens: inParens)
                case let .parenthesized(inner):
                    counts.perToken[Int(open)] += w; counts.perToken[Int(close)] += w; emitted = 2 * w
                    if inQuotes { counts.insideQuotes += 2 * w }
                    walk(inner, w, inQuotes: inQuotes, inParens: true)
                }
                counts.tokens += emitted
                // A span's own delimiters are not inside it (handled above); everything else emitted in a span is.
                if case .quoted = slot {} else if case .parenthesized = slot {} else {
                    if inQuotes { counts.insideQuotes += emitted }
                    if inParens { counts.insideParentheses += emitted }
                }
            }
        }
        walk(slots, weight, inQuotes: false, inParens: false)
    }
}
