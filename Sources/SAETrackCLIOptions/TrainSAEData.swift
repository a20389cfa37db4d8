import ArgumentParser
import Foundation
import SAETrack

/// Where a `train-sae` run's activations come from, what is held out to evaluate on, and what is
/// recorded of it (``TrainSAEOptions/trainingData(evaluates:writesCache:cacheWritten:)``).
public struct TrainSAEData {
    /// The training activations.
    public var source: any ActivationSource
    /// The held-out activations the SAE is evaluated on (empty on a process that does not evaluate).
    public var evalSet: Matrix
    /// The LM and hook, and the held-out token rows, when the activations come from a model (CE recovered).
    public var lm: TransformerLM? = nil
    public var hookPoint: HookPoint? = nil
    public var evalTokenRows: (tokens: [Int32], rows: Int, context: Int)? = nil
    /// What the SAE's metadata records of the source.
    public var provenance = SAEProvenance(prependBOS: true)
    /// The `source` entries of training_config.json.
    public var sourceInfo: [String: String] = [:]
    /// Training activations available (for the epochs in the cost line).
    public var dataTokens = 0

    public init(source: any ActivationSource, evalSet: Matrix, lm: TransformerLM? = nil, hookPoint: HookPoint? = nil,
                evalTokenRows: (tokens: [Int32], rows: Int, context: Int)? = nil, dataTokens: Int = 0) {
        self.source = source; self.evalSet = evalSet; self.lm = lm; self.hookPoint = hookPoint
        self.evalTokenRows = evalTokenRows; self.dataTokens = dataTokens
    }
}

extension TrainSAEOptions {
    /// The activations: `--activations` in memory, or the LM at `--hook` over `--tokens` behind the
    /// shuffling store (through `--cache` when given). The last `--eval-rows` token rows (or
    /// `--eval-tokens` activations) are held out for evaluation.
    ///
    /// - Parameters:
    ///   - evaluates: whether this process computes the held-out LM activations (false: an empty
    ///     evaluation set; the sharded trainer's ranks other than 0).
    ///   - writesCache: whether this process writes a `--cache` that does not exist yet.
    ///   - cacheWritten: called after the cache was written, before it is read (the sharded
    ///     trainer's ranks wait there for rank 0).
    ///   - say: where a progress line goes (the run's log).
    public func trainingData(evaluates: Bool = true, writesCache: Bool = true,
                             cacheWritten: () throws -> Void = {},
                             say: (String) -> Void = StandardError.writeLine) throws -> TrainSAEData {
        if let activations {
            let all = try ActivationShard.read(URL(fileURLWithPath: activations))
            try NonFiniteDataError.check(all, source: activations, tensor: "activations", rowMeaning: "row")
            let held = min(evalTokens, all.rows / 5)
            let source: any ActivationSource
            if noShuffle {
                source = InMemoryActivations(all.rows(0..<(all.rows - held)), seed: seed, shuffled: false)
            } else {
                source = try MixingActivationStore(producer: MatrixActivationProducer(all.rows(0..<(all.rows - held))),
                                                   halfBufferTokens: min(bufferTokens, max(1, (all.rows - held) / 2)), seed: seed)
            }
            var data = TrainSAEData(source: source, evalSet: all.rows((all.rows - held)..<all.rows), dataTokens: all.rows - held)
            data.sourceInfo["batch_order"] = noShuffle ? "file" : "shuffled"
            data.sourceInfo["activations_file"] = URL(fileURLWithPath: activations).standardizedFileURL.path
            return data
        }
        guard let model, let hook, let tokens else { throw ValidationError("give --model, --hook and --tokens, or --activations") }
        let modelURL = URL(fileURLWithPath: model)
        let dir = try ModelDirectory(modelURL)
        let hp = try HookPoint(name: hook)
        let rows = try TokenDataset(contentsOf: URL(fileURLWithPath: tokens))
        try Preflight.check(tokens: rows, file: tokens, fit: dir.config, model: modelURL.path)
        try Preflight.check(hook: hp, in: dir.config, model: modelURL.path)
        let m = try TransformerLM(config: dir.config, weights: try dir.loadWeights())
        guard rows.rows > evalRows else { throw ValidationError("\(tokens) has \(rows.rows) rows; need more than --eval-rows \(evalRows)") }
        let trainRows = rows.rows - evalRows
        let producer = try LMActivationProducer(model: m, tokens: Array(rows.tokens[0..<(trainRows * rows.context)]),
                                                rows: trainRows, context: rows.context, hook: hp, centered: center,
                                                includeBOS: !excludeBOS)
        let evalTok = Array(rows.tokens[(trainRows * rows.context)...])
        let evalSet = evaluates ? m.activations(tokens: evalTok, rows: evalRows, context: rows.context, at: hp, centered: center)
            : Matrix(rows: 0, cols: dir.config.dModel)
        try NonFiniteDataError.check(evalSet, source: "\(modelURL.path) at \(hp.name)", tensor: "activations",
                                     rowMeaning: "held-out token")
        let source: any ActivationSource
        if let cache {
            let cacheURL = URL(fileURLWithPath: cache)
            if writesCache && !FileManager.default.fileExists(atPath: cacheURL.appendingPathComponent("cache.json").path) {
                say("caching activations of \(trainRows) token rows to \(cache) (\(cacheDType.dtype.rawValue))")
                _ = try ActivationCache.write(producer, to: cacheURL, dtype: cacheDType.dtype)
            }
            try cacheWritten()
            source = try MixingActivationStore(producer: try ActivationCacheReader(cacheURL), halfBufferTokens: bufferTokens, seed: seed)
        } else {
            source = try MixingActivationStore(producer: producer, halfBufferTokens: bufferTokens, seed: seed)
        }
        var data = TrainSAEData(source: source, evalSet: evalSet, lm: m, hookPoint: hp,
                                evalTokenRows: (evalTok, evalRows, rows.context), dataTokens: trainRows * rows.context)
        data.provenance.modelName = modelURL.lastPathComponent
        data.provenance.hookName = hp.name
        data.provenance.contextSize = rows.context
        data.provenance.centered = center
        data.provenance.lmWeightsSHA256 = try dir.weightsSHA256()
        data.sourceInfo["model_directory"] = modelURL.standardizedFileURL.path
        data.sourceInfo["tokens_file"] = URL(fileURLWithPath: tokens).standardizedFileURL.path
        data.sourceInfo["include_bos"] = String(!excludeBOS)
        return data
    }
}
