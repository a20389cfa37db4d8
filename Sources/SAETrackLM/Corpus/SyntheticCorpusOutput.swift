import Foundation
import SAETrackIO

/// A generated synthetic corpus: packed tokens, a label mask per token, and the feature list.
public struct SyntheticCorpusOutput: Sendable {
    /// (rows, context) token rows, BOS id 0.
    public var tokens: TokenDataset
    /// (rows · context) label masks aligned with `tokens.tokens`: bit i set ⇔ `features[i]` holds.
    public var masks: [UInt64]
    /// The planted features in bit order, with target and measured frequencies.
    public var features: [PlantedFeature]
    public var vocabulary: SyntheticVocabulary
    /// Documents generated (including any whose tokens fell into the dropped partial row).
    public var documents: Int
    public var seed: UInt64
    public var config: SyntheticCorpusConfig

    /// Reads a corpus directory written by `write(to:)` (or `saetrack corpus`).
    public init(contentsOf directory: URL) throws {
        let featuresURL = directory.appendingPathComponent("features.json")
        let labelsURL = directory.appendingPathComponent("labels.safetensors")
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: featuresURL)) } catch {
            throw SyntheticCorpusError.unreadable(file: featuresURL.path, reason: SystemErrorText.describe(error))
        }
        let dataset: TokenDataset
        let labelFile: SafetensorsFile
        do {
            dataset = try TokenDataset(contentsOf: directory.appendingPathComponent("tokens.safetensors"))
            labelFile = try SafetensorsFile(contentsOf: labelsURL)
        } catch {
            throw SyntheticCorpusError.unreadable(file: directory.path, reason: SystemErrorText.describe(error))
        }
        guard manifest.features.count <= 64 else {
            throw SyntheticCorpusError.unreadable(file: featuresURL.path, reason: "\(manifest.features.count) features (at most 64)")
        }
        var masks = [UInt64](repeating: 0, count: dataset.tokens.count)
        for (i, f) in manifest.features.enumerated() {
            guard let info = labelFile.info(f.name), info.dtype == .u8, info.shape == [dataset.rows, dataset.context] else {
                throw SyntheticCorpusError.unreadable(file: labelsURL.path,
                                                      reason: "no U8 [\(dataset.rows), \(dataset.context)] tensor '\(f.name)'")
            }
            let bytes = [UInt8](try labelFile.rawBytes(f.name))   // (rows · context)
            let bit = UInt64(1) << UInt64(i)
            for j in bytes.indices where bytes[j] != 0 { masks[j] |= bit }
        }
        self.init(tokens: dataset, masks: masks, features: manifest.features, vocabulary: SyntheticVocabulary(),
                  documents: manifest.documents, seed: manifest.seed, config: manifest.config)
    }

    init(tokens: TokenDataset, masks: [UInt64], features: [PlantedFeature], vocabulary: SyntheticVocabulary,
         documents: Int, seed: UInt64, config: SyntheticCorpusConfig) {
        self.tokens = tokens; self.masks = masks; self.features = features; self.vocabulary = vocabulary
        self.documents = documents; self.seed = seed; self.config = config
    }

    /// The rows in `range` with their labels (e.g. a held-out evaluation split); frequencies are
    /// not recomputed.
    public func rows(_ range: Range<Int>) -> SyntheticCorpusOutput {
        var out = self
        out.tokens = tokens.rows(range)
        out.masks = Array(masks[(range.lowerBound * tokens.context)..<(range.upperBound * tokens.context)])
        return out
    }

    /// The 0/1 label of feature `name` for every token (rows · context), or nil for an unknown name.
    public func label(_ name: String) -> [UInt8]? {
        guard let i = features.firstIndex(where: { $0.name == name }) else { return nil }
        let bit = UInt64(1) << UInt64(i)
        return masks.map { $0 & bit != 0 ? 1 : 0 }
    }

    /// Every feature's labels by name.
    public var labels: [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for f in features { out[f.name] = label(f.name) }
        return out
    }

    /// What `features.json` holds.
    public struct Manifest: Codable, Equatable, Sendable {
        public var seed: UInt64
        public var documents: Int
        public var rows: Int
        public var context: Int
        public var vocabSize: Int
        public var config: SyntheticCorpusConfig
        public var features: [PlantedFeature]

        enum CodingKeys: String, CodingKey {
            case seed, documents, rows, context, config, features
            case vocabSize = "vocab_size"
        }
    }

    public var manifest: Manifest {
        Manifest(seed: seed, documents: documents, rows: tokens.rows, context: tokens.context, vocabSize: vocabulary.count,
                 config: config, features: features)
    }

    /// Writes `tokens.safetensors` (`tokens` I32 [rows, context]), `labels.safetensors` (one U8
    /// [rows, context] tensor per feature), `features.json` and `tokenizer.json` into `directory`.
    public func write(to directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try tokens.write(to: directory.appendingPathComponent("tokens.safetensors"))
            var tensors: [String: TensorData] = [:]
            for f in features {
                tensors[f.name] = TensorData(dtype: .u8, shape: [tokens.rows, tokens.context], bytes: Data(label(f.name)!))
            }
            try SafetensorsWriter.write(tensors, metadata: ["seed": String(seed), "tokens": "tokens.safetensors",
                                                            "features": "features.json"],
                                        to: directory.appendingPathComponent("labels.safetensors"))
            try JSONFile.write(manifest, to: directory.appendingPathComponent("features.json"))
            try AtomicFile.write(vocabulary.tokenizerJSON(), to: directory.appendingPathComponent("tokenizer.json"))
        } catch let e as SyntheticCorpusError {
            throw e
        } catch {
            throw SyntheticCorpusError.writeFailed(file: directory.path, reason: SystemErrorText.describe(error))
        }
    }
}
