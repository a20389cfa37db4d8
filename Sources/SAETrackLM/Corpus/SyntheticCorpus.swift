import Foundation
import SAETrackCore
import SAETrackIO

/// The seeded synthetic corpus of Docs/Demo.md, with ground truth per token.
///
/// Each document has one topic (uniform over 8) and 4–12 sentences drawn from four templates
/// (`SentenceTemplate`); every noun comes from the document's topic. Documents get BOS and are
/// packed into rows of `context` exactly as real text is (`RowPacker`, Docs/Method.md §2.4), the
/// labels travelling with their tokens; the partial last row is dropped.
public struct SyntheticCorpus: Sendable {
    public let config: SyntheticCorpusConfig
    public let seed: UInt64
    public let vocabulary = SyntheticVocabulary()

    public init(config: SyntheticCorpusConfig = .demo, seed: UInt64) {
        self.config = config
        self.seed = seed
    }

    /// The planted features with their config-derived target frequencies (bit order).
    public var features: [PlantedFeature] { PlantedFeatureCatalog(config: config, vocabulary: vocabulary).features }

    /// A token and its label mask (bit i = `features[i]`).
    struct LabeledToken {
        var id: Int32
        var mask: UInt64
    }

    /// Generates the corpus. Same config and seed → identical output.
    public func generate() throws -> SyntheticCorpusOutput {
        try config.validate()
        let catalog = PlantedFeatureCatalog(config: config, vocabulary: vocabulary)
        let templates = SentenceTemplate.all(config, vocabulary)
        let w = config.templateWeights
        let cumulative: [Double] = {
            var acc = 0.0
            let ws = [w.plain, w.conjunction, w.quote, w.parenthetical]
            let total = ws.reduce(0, +)
            return ws.map { acc += $0 / total; return acc }
        }()
        let numberIDs = vocabulary.numberIDs
        let topicIDs = (0..<SyntheticVocabulary.topics.count).map { vocabulary.topicIDs($0) }
        let quote = vocabulary.id("\""), open = vocabulary.id("("), close = vocabulary.id(")")
        let bos = vocabulary.bosID
        let context = config.context

        var rng = SeededRandom(seed: seed)
        var packer = RowPacker<LabeledToken>(context: context, isBOS: { $0.id == bos }, makeBOS: { LabeledToken(id: bos, mask: 0) })
        let expectedRows = config.rows ?? Int(Double(config.documents) * 80 / Double(context)) + 1
        var tokens: [Int32] = [], masks: [UInt64] = []
        tokens.reserveCapacity(expectedRows * context)
        masks.reserveCapacity(expectedRows * context)
        var doc: [LabeledToken] = []
        var documents = 0

        @inline(__always) func chance(_ p: Double) -> Bool { Double(rng.next() >> 11) * 0x1p-53 < p }

        func emit(_ slots: [TemplateSlot], topic: Int, inQuotes: Bool, inParens: Bool) {
            let structural = (inQuotes ? catalog.insideQuotesBit : 0) | (inParens ? catalog.insideParenthesesBit : 0)
            func put(_ id: Int32, _ extra: UInt64 = 0) {
                doc.append(LabeledToken(id: id, mask: catalog.tokenMask[Int(id)] | catalog.conceptMask[topic][Int(id)] | structural | extra))
            }
            for slot in slots {
                switch slot {
                case let .word(id): put(id)
                case let .pick(ids): put(ids[rng.int(below: ids.count)])
                case .topicWord: put(topicIDs[topic][rng.int(below: topicIDs[topic].count)])
                case .number: put(numberIDs[rng.int(below: numberIDs.count)])
                case let .optional(p, inner): if chance(p) { emit(inner, topic: topic, inQuotes: inQuotes, inParens: inParens) }
                case let .either(p, a, b): emit(chance(p) ? a : b, topic: topic, inQuotes: inQuotes, inParens: inParens)
                case let .quoted(inner):
                    put(quote)
                    emit(inner, topic: topic, inQuotes: true, inParens: inParens)
                    put(quote)
                case let .parenthesized(inner):
                    put(open)
                    emit(inner, topic: topic, inQuotes: inQuotes, inParens: true)
                    put(close)
                }
            }
        }

        while config.rows.map({ packer.rowsEmitted < $0 }) ?? (documents < config.documents) {
            let topic = rng.int(below: SyntheticVocabulary.topics.count)
            let sentences = config.minSentences + rng.int(below: config.maxSentences - config.minSentences + 1)
            doc.removeAll(keepingCapacity: true)
            for _ in 0..<sentences {
                let u = Double(rng.next() >> 11) * 0x1p-53
                let t = cumulative.firstIndex { u < $0 } ?? templates.count - 1
                let start = doc.count
                emit(templates[t].slots, topic: topic, inQuotes: false, inParens: false)
                doc[start].mask |= catalog.sentenceStartBit
            }
            packer.add(document: doc) { row in
                if let limit = config.rows, tokens.count >= limit * context { return }
                for t in row { tokens.append(t.id); masks.append(t.mask) }
            }
            documents += 1
        }

        var counts = [Int](repeating: 0, count: catalog.features.count)
        for m in masks {
            var x = m
            while x != 0 { counts[x.trailingZeroBitCount] += 1; x &= x - 1 }
        }
        var features = catalog.features
        for i in features.indices { features[i].measuredFrequency = masks.isEmpty ? 0 : Double(counts[i]) / Double(masks.count) }
        let rows = tokens.count / context
        let dataset = TokenDataset(rows: rows, context: context, tokens: tokens, metadata: [
            "tokenizer": "tokenizer.json", "bos_token_id": String(bos), "generator": "SAETrack SyntheticCorpus",
            "seed": String(seed), "documents": String(documents), "context": String(context),
        ])
        return SyntheticCorpusOutput(tokens: dataset, masks: masks, features: features, vocabulary: vocabulary,
                                     documents: documents, seed: seed, config: config)
    }

    /// Writes the corpus vocabulary as a WordLevel `tokenizer.json`.
    public func writeTokenizerJSON(to url: URL) throws {
        do { try AtomicFile.write(vocabulary.tokenizerJSON(), to: url) } catch {
            throw SyntheticCorpusError.writeFailed(file: url.path, reason: SystemErrorText.describe(error))
        }
    }
}
