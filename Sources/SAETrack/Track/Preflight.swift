import Foundation
import SAETrackIO
import SAETrackLM

/// Checks run before the first step of `track`, `train-sae`, `train-lm` and `activations`, so a
/// problem that would stop the run hours in (a truncated checkpoint, a d_model change mid-series,
/// a hook the model lacks, token ids beyond the vocabulary, an unreadable tokenizer) is reported
/// before any work, all at once.
public enum Preflight {
    /// Token ids must be inside the model's vocabulary, the context inside its positions.
    public static func check(tokens: TokenDataset, file: String, fit config: ModelConfig, model: String) throws {
        if let i = tokens.tokens.firstIndex(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            throw PreflightError.tokenOutOfVocabulary(file: file, row: i / max(tokens.context, 1), id: tokens.tokens[i],
                                                      vocabSize: config.vocabSize, model: model)
        }
        if tokens.context > config.contextLength {
            throw PreflightError.contextTooLong(file: file, context: tokens.context, maximum: config.contextLength, model: model)
        }
    }

    /// The hook's block must exist in the model.
    public static func check(hook: HookPoint, in config: ModelConfig, model: String) throws {
        guard hook.layer < config.nLayers else {
            throw PreflightError.hookOutOfRange(hook: hook.name, layers: config.nLayers, model: model)
        }
    }

    /// A tokenizer given for decoding must load.
    public static func check(tokenizer path: String) throws {
        do { _ = try Tokenizer(tokenizerJSON: URL(fileURLWithPath: path)) } catch {
            throw PreflightError.unreadableTokenizer(file: path, reason: SystemErrorText.describe(error))
        }
    }

    /// Every checkpoint of `checkpoints` (step, directory) opened and its headers verified, its
    /// config compared with the first's (architecture, d_model, layers, vocabulary); throws one
    /// error listing every problem. Returns the configs by step.
    public static func check(checkpoints: [(step: Int, url: URL)]) throws -> [Int: ModelConfig] {
        var problems: [String] = []
        var configs: [Int: ModelConfig] = [:]
        var first: (step: Int, config: ModelConfig)?
        for c in checkpoints {
            do {
                let dir = try ModelDirectory(c.url)
                try dir.verifyHeaders()
                configs[c.step] = dir.config
                if let f = first {
                    var d: [String] = []
                    if f.config.modelType != dir.config.modelType { d.append("architecture \(dir.config.modelType), step \(f.step) has \(f.config.modelType)") }
                    if f.config.dModel != dir.config.dModel { d.append("d_model \(dir.config.dModel), step \(f.step) has \(f.config.dModel)") }
                    if f.config.nLayers != dir.config.nLayers { d.append("\(dir.config.nLayers) layers, step \(f.step) has \(f.config.nLayers)") }
                    if f.config.vocabSize != dir.config.vocabSize { d.append("vocabulary \(dir.config.vocabSize), step \(f.step) has \(f.config.vocabSize)") }
                    if !d.isEmpty { problems.append("\(c.url.path): " + d.joined(separator: "; ")) }
                } else {
                    first = (c.step, dir.config)
                }
            } catch {
                problems.append(SystemErrorText.describe(error))
            }
        }
        guard problems.isEmpty else { throw PreflightError.checkpoints(problems) }
        return configs
    }
}

/// A preflight check failed; the message names the file and the problem.
public enum PreflightError: Error, CustomStringConvertible, Equatable {
    case tokenOutOfVocabulary(file: String, row: Int, id: Int32, vocabSize: Int, model: String)
    case contextTooLong(file: String, context: Int, maximum: Int, model: String)
    case hookOutOfRange(hook: String, layers: Int, model: String)
    case unreadableTokenizer(file: String, reason: String)
    /// Problems with the checkpoints of a series, one line each.
    case checkpoints([String])

    public var description: String {
        switch self {
        case let .tokenOutOfVocabulary(f, row, id, v, m):
            return "\(f): token id \(id) in row \(row) is outside the vocabulary of \(m) (\(v) tokens); was it tokenized with another tokenizer?"
        case let .contextTooLong(f, c, maxC, m): return "\(f): rows of \(c) tokens are longer than \(m)'s \(maxC) positions"
        case let .hookOutOfRange(h, l, m): return "\(m): hook \(h) names a block the model does not have (it has \(l): blocks.0 – blocks.\(l - 1))"
        case let .unreadableTokenizer(f, r): return "--tokenizer \(f): cannot be read: \(r)"
        case let .checkpoints(p):
            return "the checkpoint series has problems (found before any work):\n  " + p.joined(separator: "\n  ")
        }
    }
}
