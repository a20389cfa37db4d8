import Foundation
import SAETrackCore
import SAETrackIO

/// A GPT-2 or GPT-NeoX (Pythia) language model for float32 CPU inference, matching Hugging Face
/// `transformers` (see Tests/SAETrackLMTests/Model*Tests.swift for the tolerances).
///
/// Inputs are `rows` sequences of `context` token ids, row-major: `tokens[b·context + t]`.
/// Every matmul is a BLAS GEMM over all rows·context tokens at once; attention is row-parallel.
///
///     let lm = try TransformerLM(directory: url)
///     let acts = lm.activations(tokens: ids, rows: 8, context: 128, at: .residPre(3), centered: true)
public final class TransformerLM: @unchecked Sendable {
    /// The model's config.
    public let config: ModelConfig
    let parts: LMComponents

    /// Number of blocks.
    public var layers: Int { parts.blocks.count }
    /// Residual width.
    public var dModel: Int { config.dModel }

    /// Loads `config.json` and the safetensors weights of a Hugging Face model directory.
    public convenience init(directory: URL) throws {
        let dir = try ModelDirectory(directory)
        try self.init(config: dir.config, weights: try dir.loadWeights())
    }

    /// Builds the model from weights named as in `ModelDirectory.loadWeights()` (GPT-2 without
    /// the `transformer.` prefix; 1-D tensors as one-row matrices). Extra tensors are ignored;
    /// missing or misshapen ones are all listed in one ``TransformerLMError/weightsDoNotMatchConfig(model:problems:)``.
    public init(config: ModelConfig, weights: [String: Matrix]) throws {
        guard config.dModel % config.nHeads == 0 else {
            throw TransformerLMError.unsupportedConfig(model: config.summary, reason: "d_model is not a multiple of n_heads")
        }
        var reader = WeightReader(weights)
        switch config {
        case .gpt2(let c): parts = try GPT2.components(config, c, from: &reader)
        case .gptNeoX(let c): parts = try GPTNeoX.components(config, c, from: &reader)
        }
        guard reader.problems.isEmpty else {
            throw TransformerLMError.weightsDoNotMatchConfig(model: config.summary, problems: reader.problems)
        }
        self.config = config
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
        var x = parts.embedding(tokens, rows: rows, context: context)        // (B*T, C)
        for block in parts.blocks {
            if visit(.residPre(block.layer), &x) == .stop { return nil }
            if block.forward(&x, rows: rows, context: context, visit: visit) == .stop { return nil }
        }
        return x
    }

    /// The activations at `hook`, (rows·context, C). Blocks after the hook's are not run.
    /// With `centered`, each token's mean over d_model is subtracted (TransformerLens
    /// `center_writing_weights`, Docs/Method.md §2.3).
    public func activations(tokens: [Int32], rows: Int, context: Int, at hook: HookPoint, centered: Bool) -> Matrix {
        precondition(hook.layer < layers, "TransformerLM: \(hook) is beyond the model's \(layers) blocks")
        var captured: Matrix?
        _ = forward(tokens: tokens, rows: rows, context: context) { point, value in
            guard point == hook else { return .proceed }
            captured = value
            return .stop
        }
        var out = captured!
        if centered { Self.subtractTokenMean(&out) }
        return out
    }

    /// Next-token logits for every position, (rows·context, V) (V includes padding rows).
    public func logits(tokens: [Int32], rows: Int, context: Int) -> Matrix {
        let x = forward(tokens: tokens, rows: rows, context: context) { _, _ in .proceed }!
        return parts.unembed(parts.finalNorm(x))
    }

    /// Mean next-token cross-entropy over the rows·(context − 1) predicted positions, as
    /// `transformers`' `labels=input_ids` loss.
    public func loss(tokens: [Int32], rows: Int, context: Int) -> Float {
        let x = forward(tokens: tokens, rows: rows, context: context) { _, _ in .proceed }!
        return nextTokenLoss(residual: x, tokens: tokens, rows: rows, context: context)
    }

    /// The loss with `hook`'s activations replaced by `transform(activations)` (same shape), the
    /// rest of the model running on from the replaced values: the spliced-in loss of the SAE
    /// "CE loss recovered" metric. With `centered`, `transform` receives the centred activations
    /// and its output is spliced in as is: every later read of the residual stream is a
    /// LayerNorm, which ignores a per-token constant, so the loss is the same either way.
    public func loss(tokens: [Int32], rows: Int, context: Int, replacing hook: HookPoint, centered: Bool = false,
                     with transform: (Matrix) -> Matrix) -> Float {
        precondition(hook.layer < layers, "TransformerLM: \(hook) is beyond the model's \(layers) blocks")
        let x = forward(tokens: tokens, rows: rows, context: context) { point, value in
            guard point == hook else { return .proceed }
            if centered { Self.subtractTokenMean(&value) }
            let replaced = transform(value)
            precondition(replaced.rows == value.rows && replaced.cols == value.cols,
                         "TransformerLM: replacement for \(hook) is (\(replaced.rows), \(replaced.cols)), expected (\(value.rows), \(value.cols))")
            value = replaced
            return .proceed
        }!
        return nextTokenLoss(residual: x, tokens: tokens, rows: rows, context: context)
    }

    // MARK: - Loss head

    /// Positions per unembedding GEMM when computing the loss, bounding the (n, V) logits buffer.
    static let lossChunk = 512

    /// Final LayerNorm, unembedding and cross-entropy against the next token, in chunks so the
    /// full (rows·context, V) logits are never held at once.
    /// - Parameter residual: (rows·context, C) the stream after the last block.
    func nextTokenLoss(residual: Matrix, tokens: [Int32], rows: Int, context: Int) -> Float {
        precondition(context >= 2, "TransformerLM: the next-token loss needs context ≥ 2")
        let (C, V, T) = (dModel, config.vocabSize, context)
        let predicted = rows * (T - 1)
        var inputs = Matrix(rows: predicted, cols: C)                           // (B*(T-1), C)
        var targets = [Int32](repeating: 0, count: predicted)                    // (B*(T-1))
        residual.withUnsafeBufferPointer { src in
            inputs.withUnsafeMutableBufferPointer { dst in
                for b in 0..<rows {
                    (dst.baseAddress! + b * (T - 1) * C).update(from: src.baseAddress! + b * T * C, count: (T - 1) * C)
                    for t in 0..<(T - 1) { targets[b * (T - 1) + t] = tokens[b * T + t + 1] }
                }
            }
        }
        let normed = parts.finalNorm(inputs)                                      // (B*(T-1), C)
        var losses = [Float](repeating: 0, count: predicted)
        var logits = [Float](repeating: 0, count: min(predicted, Self.lossChunk) * V)   // (chunk, V)
        normed.withUnsafeBufferPointer { x in
            logits.withUnsafeMutableBufferPointer { z in
                targets.withUnsafeBufferPointer { y in
                    losses.withUnsafeMutableBufferPointer { l in
                        for start in stride(from: 0, to: predicted, by: Self.lossChunk) {
                            let n = min(Self.lossChunk, predicted - start)
                            parts.unembed.forward(x.baseAddress! + start * C, z.baseAddress!, rows: n)
                            CrossEntropy.forward(logits: z.baseAddress!, targets: y.baseAddress! + start,
                                                 losses: l.baseAddress! + start, rows: n, vocab: V)
                        }
                    }
                }
            }
        }
        return Float(losses.reduce(0.0) { $0 + Double($1) } / Double(predicted))
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
