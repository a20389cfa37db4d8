import Foundation
import SAETrackCore
import SAETrackIO

/// A GPT-2 or GPT-NeoX (Pythia) language model for float32 CPU inference, matching Hugging Face
/// `transformers` (see Tests/SAETrackLMTests/Model*Tests.swift for the tolerances).
///
/// A thin façade over ``TransformerModel``, the one forward SAETrack has: inputs are `rows`
/// sequences of `context` token ids, row-major (`tokens[b·context + t]`); every pass runs on an
/// inference workspace (one layer of buffers), so calls may come from several threads at once.
///
///     let lm = try TransformerLM(directory: url)
///     let acts = lm.activations(tokens: ids, rows: 8, context: 128, at: .residPre(3), centered: true)
public final class TransformerLM: @unchecked Sendable {
    /// The model's config.
    public var config: ModelConfig { model.config }
    /// The model the passes run on.
    public let model: TransformerModel

    /// Number of blocks.
    public var layers: Int { config.nLayers }
    /// Residual width.
    public var dModel: Int { config.dModel }

    /// Loads `config.json` and the safetensors weights of a Hugging Face model directory (verified
    /// there: names, shapes, dtypes, finite values).
    public convenience init(directory: URL) throws {
        let dir = try ModelDirectory(directory)
        try self.init(config: dir.config, weights: try dir.loadWeights())
    }

    /// Builds the model from weights named as in `ModelDirectory.loadWeights()` (GPT-2 without
    /// the `transformer.` prefix; 1-D tensors as one-row matrices). Missing, unexpected or
    /// misshapen tensors are all listed in one ``TransformerLMError/weightsDoNotMatchConfig(model:problems:)``.
    public convenience init(config: ModelConfig, weights: [String: Matrix]) throws {
        self.init(try TransformerModel(config: config, weights: weights))
    }

    /// Runs inference on `model` (which keeps its parameters; its training workspace is not used).
    public init(_ model: TransformerModel) {
        self.model = model
    }

    // MARK: - Validation (throwing; the run methods below check the same with preconditions)

    /// Checks a token batch: count, id range and context length.
    public func validate(tokens: [Int32], rows: Int, context: Int) throws {
        guard rows >= 0, context > 0, tokens.count == rows * context else {
            throw TransformerLMError.tokenCountMismatch(count: tokens.count, rows: rows, context: context)
        }
        guard context <= config.contextLength else {
            throw TransformerLMError.contextTooLong(context: context, maximum: config.contextLength)
        }
        let vocab = config.vocabSize
        if let bad = tokens.firstIndex(where: { $0 < 0 || Int($0) >= vocab }) {
            throw TransformerLMError.tokenOutOfRange(id: tokens[bad], position: bad, vocabSize: vocab)
        }
    }

    /// Checks that `hook` names one of this model's blocks.
    public func validate(_ hook: HookPoint) throws {
        guard hook.layer < layers else { throw TransformerLMError.hookOutOfRange(hook: hook.name, layers: layers) }
    }

    private func check(_ tokens: [Int32], _ rows: Int, _ context: Int) {
        do { try validate(tokens: tokens, rows: rows, context: context) } catch { preconditionFailure("\(error)") }
    }

    // MARK: - Forward

    /// Runs the embedding and the blocks, offering `visit` every hook in forward order
    /// (``HookPoint/all(layers:)``). Returns the residual stream after the last block (before the
    /// final LayerNorm), (rows·context, C), or nil if the visitor stopped the pass.
    public func forward(tokens: [Int32], rows: Int, context: Int, visit: HookVisitor) -> Matrix? {
        check(tokens, rows, context)
        var last: Matrix?
        let finalHook = HookPoint.residPost(layers - 1)
        let done = tokens.withUnsafeBufferPointer { tok in
            model.forward(tokens: tok, batch: rows, context: context, offering: { _ in true }, visit: { point, value in
                let next = visit(point, &value)
                if point == finalHook, next == .proceed { last = value }
                return next
            }, head: .none)
        }
        return done == nil ? nil : last
    }

    /// The activations at `hook`, (rows·context, C). Blocks after the hook's are not run.
    /// With `centered`, each token's mean over d_model is subtracted (TransformerLens
    /// `center_writing_weights`, Docs/Method.md §2.3).
    public func activations(tokens: [Int32], rows: Int, context: Int, at hook: HookPoint, centered: Bool) -> Matrix {
        precondition(hook.layer < layers, "TransformerLM: \(hook) is beyond the model's \(layers) blocks")
        check(tokens, rows, context)
        var captured: Matrix?
        _ = tokens.withUnsafeBufferPointer { tok in
            model.forward(tokens: tok, batch: rows, context: context, offering: { $0 == hook }, visit: { _, value in
                captured = value
                return .stop
            }, head: .none)
        }
        var out = captured!
        if centered { Self.subtractTokenMean(&out) }
        return out
    }

    /// Next-token logits for every position, (rows·context, V) (V includes padding rows).
    public func logits(tokens: [Int32], rows: Int, context: Int) -> Matrix {
        check(tokens, rows, context)
        var out = Matrix(uninitializedRows: rows * context, cols: config.vocabSize)   // every logit written
        tokens.withUnsafeBufferPointer { tok in
            out.withUnsafeMutableBufferPointer { z in
                _ = model.forward(tokens: tok, batch: rows, context: context, offering: { _ in false },
                                  visit: { _, _ in .proceed }, head: .logits(z.baseAddress!))
            }
        }
        return out
    }

    /// Mean next-token cross-entropy over the rows·(context − 1) predicted positions, as
    /// `transformers`' `labels=input_ids` loss.
    public func loss(tokens: [Int32], rows: Int, context: Int) -> Float {
        precondition(context >= 2, "TransformerLM: the next-token loss needs context ≥ 2")
        check(tokens, rows, context)
        return tokens.withUnsafeBufferPointer { tok in
            model.forward(tokens: tok, batch: rows, context: context, offering: { _ in false },
                          visit: { _, _ in .proceed }, head: .loss)!
        }
    }

    /// The loss with `hook`'s activations replaced by `transform(activations)` (same shape), the
    /// rest of the model running on from the replaced values: the spliced-in loss of the SAE
    /// "CE loss recovered" metric. With `centered`, `transform` receives the centred activations
    /// and its output is spliced in as is: every later read of the residual stream is a
    /// LayerNorm, which ignores a per-token constant, so the loss is the same either way.
    public func loss(tokens: [Int32], rows: Int, context: Int, replacing hook: HookPoint, centered: Bool = false,
                     with transform: (Matrix) -> Matrix) -> Float {
        precondition(hook.layer < layers, "TransformerLM: \(hook) is beyond the model's \(layers) blocks")
        precondition(context >= 2, "TransformerLM: the next-token loss needs context ≥ 2")
        check(tokens, rows, context)
        return tokens.withUnsafeBufferPointer { tok in
            model.forward(tokens: tok, batch: rows, context: context, offering: { $0 == hook }, visit: { _, value in
                if centered { Self.subtractTokenMean(&value) }
                value = transform(value)        // TransformerModel refuses a replacement of another shape
                return .proceed
            }, head: .loss)!
        }
    }

    // MARK: - Centering

    /// x[n, :] ← x[n, :] − mean(x[n, :]) for every token n of an (N, C) matrix.
    public static func subtractTokenMean(_ x: inout Matrix) {
        let (N, C) = (x.rows, x.cols)
        x.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            Parallel.forEachChunk(N, minChunk: max(1, 8192 / max(C, 1))) { range in
                for n in range {
                    let row = base + n * C
                    var sum: Float = 0
                    for c in 0..<C { sum += row[c] }
                    let mean = sum / Float(C)
                    for c in 0..<C { row[c] -= mean }
                }
            }
        }
    }
}
