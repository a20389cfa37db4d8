import Foundation
import SAETrackCore
import SAETrackIO

/// A GPT-NeoX or GPT-2 language model that can be trained: parameters and gradients in one flat
/// buffer each (``ParameterLayout``), a forward that caches what the backward needs, and a backward
/// that walks the same kernels in reverse (llm.c's `gpt2_forward` / `gpt2_backward`).
///
/// ```swift
/// let model = try LMTrainingModel(config: .demoLM(vocabSize: 260), seed: 0)
/// model.zeroGradients()
/// let loss = model.forward(tokens: batch, batch: 16, context: 128, computeGradients: true)
/// model.backward()               // model.gradients now holds dloss/dθ
/// ```
///
/// The loss is the mean next-token cross-entropy over every position except each row's last, exactly
/// what transformers computes for `model(input_ids, labels=input_ids).loss`.
public final class LMTrainingModel {
    /// The Hugging Face config: shape and wiring (what checkpoints are written with).
    public let config: ModelConfig
    /// Where each named tensor lives in ``parameters`` and ``gradients``.
    public let layout: ParameterLayout
    /// All parameters, laid out by ``layout``.
    public let parameters: UnsafeMutableBufferPointer<Float>
    /// Gradients of the last `forward(tokens:batch:context:computeGradients:)` + ``backward()``,
    /// accumulated (call ``zeroGradients()`` between steps).
    public let gradients: UnsafeMutableBufferPointer<Float>

    private let qkvLayout: QKVLayout
    private let rotary: Rotary?
    private let weightLayout: Linear.Layout
    private let gelu: GELU.Approximation
    private let scalesByInverseLayerIndex: Bool
    private var activations: TrainingActivations?
    private var lastForwardComputedGradients = false

    /// A freshly initialised model (Hugging Face's scheme, seeded; see `ParameterInitialization`).
    /// - Parameter initializerRange: the standard deviation (HF `initializer_range`, 0.02).
    public convenience init(config: ModelConfig, seed: UInt64, initializerRange: Float = 0.02) throws {
        try self.init(config: config)
        ParameterInitialization.initialize(parameters, layout: layout, layers: config.nLayers,
                                           initializerRange: initializerRange, seed: seed)
    }

    /// A model holding `weights` (Hugging Face names and shapes, 1-D tensors as one-row matrices).
    /// Throws ``LMTrainingError/weightMismatch(missing:unexpected:wrongShape:)`` listing every
    /// missing, unexpected or wrongly shaped tensor. A tied `lm_head.weight` equal in shape is accepted.
    public convenience init(config: ModelConfig, weights: [String: Matrix]) throws {
        try self.init(config: config)
        var missing: [String] = [], wrongShape: [String] = []
        for t in layout.tensors {
            guard let m = weights[t.name] else { missing.append(t.name); continue }
            guard m.count == t.count, m.cols == t.shape.last! else {
                wrongShape.append("\(t.name) is [\(m.rows), \(m.cols)], expected \(t.shape)")
                continue
            }
            m.withUnsafeBufferPointer { src in
                _ = UnsafeMutableBufferPointer(rebasing: parameters[t.range]).update(fromContentsOf: src)
            }
        }
        let tiedHeadNames: Set<String> = config.tiedEmbeddings ? ["lm_head.weight", "embed_out.weight"] : []
        let unexpected = weights.keys.filter { layout.tensor(named: $0) == nil && !tiedHeadNames.contains($0) }.sorted()
        if !missing.isEmpty || !unexpected.isEmpty || !wrongShape.isEmpty {
            throw LMTrainingError.weightMismatch(missing: missing, unexpected: unexpected, wrongShape: wrongShape)
        }
    }

    private init(config: ModelConfig) throws {
        let unsupported = { (reason: String) in LMTrainingError.invalidArchitecture("\(config.summary): \(reason)") }
        guard config.rotaryDims % 2 == 0 else { throw unsupported("rotary dims \(config.rotaryDims) must be even") }
        switch config.activation {
        case .geluExact: gelu = .exact
        case .geluTanh: gelu = .tanh
        default: throw unsupported("training supports the GELU activations only, not \(config.activation)")
        }
        if case .gpt2(let c) = config {
            guard c.scaleAttnWeights else { throw unsupported("scale_attn_weights = false is not supported") }
            scalesByInverseLayerIndex = c.scaleAttnByInverseLayerIdx
        } else {
            scalesByInverseLayerIndex = false
        }
        self.config = config
        layout = ParameterLayout(config)
        parameters = .allocate(capacity: layout.count)
        parameters.initialize(repeating: 0)
        gradients = .allocate(capacity: layout.count)
        gradients.initialize(repeating: 0)
        let neox: Bool
        if case .gptNeoX = config { neox = true } else { neox = false }
        qkvLayout = neox ? .interleaved : .blocked
        weightLayout = neox ? .outIn : .inOut
        rotary = config.rotaryDims > 0
            ? Rotary(dims: config.rotaryDims, base: config.rotaryBase ?? 10_000, maxPositions: config.contextLength)
            : nil
    }

    deinit {
        parameters.deallocate()
        gradients.deallocate()
    }

    /// Number of trainable parameters (a tied unembedding counted once).
    public var parameterCount: Int { layout.count }

    /// Every parameter tensor by Hugging Face name, 1-D tensors as one-row matrices (what
    /// `ModelDirectory.write` takes). The tied unembedding appears once, under the embedding's name.
    public func weights() -> [String: Matrix] {
        var out: [String: Matrix] = [:]
        for t in layout.tensors {
            out[t.name] = Matrix(rows: t.shape.count == 1 ? 1 : t.shape[0], cols: t.shape.last!,
                                 storage: Array(parameters[t.range]))
        }
        return out
    }

    /// Sets every gradient to zero.
    public func zeroGradients() { gradients.update(repeating: 0) }

    /// The forward pass: caches activations, returns the mean next-token cross-entropy.
    ///
    /// With `computeGradients` the unembedding's backward runs fused with the loss (its logits never
    /// exist in full): the head's weight gradient is added to ``gradients`` and ``backward()`` continues
    /// from the final LayerNorm.
    /// - Parameters:
    ///   - tokens: (B, T) row-major ids, each in `0..<vocabSize`; T ≤ `maxPositions`.
    public func forward(tokens: UnsafeBufferPointer<Int32>, batch b: Int, context t: Int,
                        computeGradients: Bool = false) -> Float {
        run(tokens: tokens, batch: b, context: t, computeGradients: computeGradients, logits: nil)
    }

    /// The forward pass over an array of tokens; see `forward(tokens:batch:context:computeGradients:)`.
    public func forward(tokens: [Int32], batch b: Int, context t: Int, computeGradients: Bool = false) -> Float {
        tokens.withUnsafeBufferPointer { forward(tokens: $0, batch: b, context: t, computeGradients: computeGradients) }
    }

    /// Every logit of a forward pass: (B*T, V).
    public func logits(tokens: [Int32], batch b: Int, context t: Int) -> Matrix {
        var out = Matrix(rows: b * t, cols: config.vocabSize)
        tokens.withUnsafeBufferPointer { tok in
            out.withUnsafeMutableBufferPointer { z in
                _ = run(tokens: tok, batch: b, context: t, computeGradients: false, logits: z.baseAddress!)
            }
        }
        return out
    }

    private func prepare(batch b: Int, context t: Int) -> TrainingActivations {
        if let a = activations, a.batch == b, a.context == t { return a }
        activations = nil   // free the old shape first
        let a = TrainingActivations(config, batch: b, context: t)
        activations = a
        return a
    }

    private func run(tokens: UnsafeBufferPointer<Int32>, batch b: Int, context t: Int,
                     computeGradients: Bool, logits: UnsafeMutablePointer<Float>?) -> Float {
        let arch = config
        let (L, C, M, V) = (arch.nLayers, arch.dModel, arch.dMLP, arch.vocabSize)
        precondition(b >= 1 && t >= 1 && tokens.count == b * t,
                     "LMTrainingModel.forward: \(tokens.count) tokens cannot be (\(b), \(t))")
        precondition(t <= arch.contextLength, "LMTrainingModel.forward: context \(t) exceeds \(arch.contextLength) positions")
        let acts = prepare(batch: b, context: t)
        let n = b * t
        for i in 0..<n {
            let token = tokens[i]
            precondition(token >= 0 && Int(token) < V, "LMTrainingModel.forward: token \(token) outside the vocabulary 0..<\(V)")
            acts.tokens[i] = token
            acts.targets[i] = (i % t == t - 1) ? -1 : tokens[i + 1]
        }
        let p = parameters.baseAddress!
        let eps = arch.layerNormEpsilon

        // Everything before the head is local to a sequence, so the whole body runs as one parallel
        // region over blocks of sequences: each thread takes its sequences through every layer with
        // one-thread kernels (kernels called inside a parallel loop run inline), instead of one
        // region per kernel. With fewer sequences than threads it is one block, and the kernels
        // split their own work as usual.
        let NH = arch.nHeads
        Parallel.forEachChunk(b) { seqs in
            let (s0, bb) = (seqs.lowerBound, seqs.count)
            let (r0, nr) = (s0 * t, seqs.count * t)       // this block's rows of every (N, ·) buffer
            // Embeddings → residual[0] (N, C)
            Embedding.forward(tokens: acts.tokens + r0, wte: p + self.layout.tokenEmbedding,
                              wpe: self.layout.positionEmbedding.map { UnsafePointer(p + $0) },
                              out: acts.residual + r0 * C, batch: bb, context: t, channels: C)
            for l in 0..<L {
                let w = self.layout.blocks[l]
                let x = acts.residual + (l * n + r0) * C          // (nr, C) block input
                let y = acts.residual + ((l + 1) * n + r0) * C    // (nr, C) block output
                let ln1 = acts.ln1 + (l * n + r0) * C, qkv = acts.qkv + (l * n + r0) * 3 * C
                let att = acts.att + (l * b + s0) * NH * t * t, attY = acts.attY + (l * n + r0) * C
                let ln2 = acts.ln2 + (l * n + r0) * C
                let fcPre = acts.fcPre + (l * n + r0) * M, fcAct = acts.fcAct + (l * n + r0) * M
                let (mean1, rstd1) = (acts.ln1Mean + l * n + r0, acts.ln1Rstd + l * n + r0)
                let (mean2, rstd2) = (acts.ln2Mean + l * n + r0, acts.ln2Rstd + l * n + r0)

                // attention branch: attY (N, C) = attention(rotary(ln1(x) · Wqkv + b)); the bias is added
                // in the rotary pass when there is one
                LayerNorm.forward(x, weight: p + w.ln1Weight, bias: p + w.ln1Bias, ln1,
                                  mean: mean1, rstd: rstd1, rows: nr, cols: C, epsilon: eps)
                let qkvBias = w.qkvBias.map { UnsafePointer(p + $0) }
                Linear.forward(ln1, weight: p + w.qkvWeight, bias: self.rotary == nil ? qkvBias : nil, out: qkv,
                               rows: nr, inputs: C, outputs: 3 * C, layout: self.weightLayout)
                self.rotary?.rotate(qkv, rows: bb, context: t, heads: NH, headDim: arch.headDim,
                                    layout: self.qkvLayout, bias: qkvBias)
                Attention.causalForward(qkv: qkv, att: att, out: attY, rows: bb, context: t, heads: NH,
                                        headDim: arch.headDim, layout: self.qkvLayout,
                                        scale: self.attentionScale(layer: l))
                // residual: parallel y = x + attn + mlp(ln2(x)); sequential mid = x + attn, y = mid + mlp(ln2(mid)).
                // The output projections accumulate into a stream pre-filled with x and their biases.
                let attnOutBias = w.attnOutBias.map { UnsafePointer(p + $0) }, fcOutBias = UnsafePointer(p + w.fcOutBias)
                let attnSum = arch.parallelResidual ? y : acts.residualMid + (l * n + r0) * C
                Self.add(x, attnOutBias, arch.parallelResidual ? fcOutBias : nil, into: attnSum, rows: nr, cols: C)
                Linear.forward(attY, weight: p + w.attnOutWeight, bias: nil, out: attnSum,
                               rows: nr, inputs: C, outputs: C, layout: self.weightLayout, accumulate: true)
                let mlpIn = arch.parallelResidual ? x : attnSum
                if !arch.parallelResidual { Self.add(attnSum, fcOutBias, nil, into: y, rows: nr, cols: C) }
                // MLP branch: y += gelu(ln2(mlpIn) · Wfc + b) · Wout; bias, GELU and gelu' in one pass
                LayerNorm.forward(mlpIn, weight: p + w.ln2Weight, bias: p + w.ln2Bias, ln2,
                                  mean: mean2, rstd: rstd2, rows: nr, cols: C, epsilon: eps)
                Linear.forward(ln2, weight: p + w.fcWeight, bias: nil, out: fcPre,
                               rows: nr, inputs: C, outputs: M, layout: self.weightLayout)
                GELU.forward(fcPre, bias: p + w.fcBias, fcAct, derivative: computeGradients ? fcPre : nil,
                             rows: nr, cols: M, approximation: self.gelu)
                Linear.forward(fcAct, weight: p + w.fcOutWeight, bias: nil, out: y,
                               rows: nr, inputs: M, outputs: C, layout: self.weightLayout, accumulate: true)
            }
            // final LayerNorm
            LayerNorm.forward(acts.residual + (L * n + r0) * C, weight: p + self.layout.finalNormWeight,
                              bias: p + self.layout.finalNormBias, acts.lnf + r0 * C,
                              mean: acts.lnfMean + r0, rstd: acts.lnfRstd + r0, rows: nr, cols: C, epsilon: eps)
        }
        // unembedding and loss
        lastForwardComputedGradients = computeGradients
        return UnembeddingCrossEntropy.run(
            x: acts.lnf, weight: p + layout.unembedding, targets: acts.targets,
            dx: computeGradients ? acts.dLnf : nil,
            dWeight: computeGradients ? gradients.baseAddress! + layout.unembedding : nil,
            logits: logits, scratch: acts.headScratch, rows: n, channels: C, vocab: V)
    }

    /// The backward pass of the last `forward(…, computeGradients: true)`: adds dloss/dθ to ``gradients``.
    public func backward() {
        guard let acts = activations, lastForwardComputedGradients else {
            preconditionFailure("LMTrainingModel.backward: call forward(…, computeGradients: true) first")
        }
        let arch = config
        let (L, C, M) = (arch.nLayers, arch.dModel, arch.dMLP)
        let (b, t, n) = (acts.batch, acts.context, acts.rows)
        let p = parameters.baseAddress!, g = gradients.baseAddress!

        // final LayerNorm: dResidual (N, C) = dloss/d residual[L]
        LayerNorm.backward(dy: acts.dLnf, x: acts.residual + L * n * C, weight: p + layout.finalNormWeight,
                           mean: acts.lnfMean, rstd: acts.lnfRstd, dx: acts.dResidual,
                           dweight: g + layout.finalNormWeight, dbias: g + layout.finalNormBias, rows: n, cols: C)
        // Per layer, two phases. (1) The gradients of the activations are local to a sequence, so
        // they run as one parallel region over blocks of sequences (one-thread kernels inside).
        // (2) The parameter gradients sum over every row: each is one split GEMM (or reduction) over
        // the whole batch. The block gradients alternate between two buffers, since phase 2 still
        // reads the output gradient after phase 1 has written the input's.
        let NH = arch.nHeads
        var dy = acts.dResidual, dIn = acts.dResidualNext
        for l in stride(from: L - 1, through: 0, by: -1) {
            let w = layout.blocks[l]
            let x = acts.residual + l * n * C
            let ln1 = acts.ln1 + l * n * C, qkv = acts.qkv + l * n * 3 * C
            let att = acts.att + l * b * NH * t * t, attY = acts.attY + l * n * C
            let ln2 = acts.ln2 + l * n * C, fcPre = acts.fcPre + l * n * M, fcAct = acts.fcAct + l * n * M
            let mlpIn = arch.parallelResidual ? x : acts.residualMid + l * n * C
            let (mean1, rstd1) = (acts.ln1Mean + l * n, acts.ln1Rstd + l * n)
            let (mean2, rstd2) = (acts.ln2Mean + l * n, acts.ln2Rstd + l * n)
            // the attention output's gradient is dy (parallel) or d mid (sequential)
            let dAttnOut = arch.parallelResidual ? UnsafePointer(dy) : UnsafePointer(acts.dBranch)
            let (dOut, dInp) = (dy, dIn)
            let scale = attentionScale(layer: l)

            Parallel.forEachChunk(b) { seqs in
                let (s0, bb) = (seqs.lowerBound, seqs.count)
                let (r0, nr) = (s0 * t, bb * t)
                // MLP branch: dFc (N, M), dLn (N, C), then dBranch (N, C) = dy + d mlpIn
                Linear.backwardInput(dOut: dOut + r0 * C, weight: p + w.fcOutWeight, dInp: acts.dFc + r0 * M,
                                     rows: nr, inputs: M, outputs: C, layout: self.weightLayout)
                GELU.backward(derivative: fcPre + r0 * M, dy: acts.dFc + r0 * M, dx: acts.dFc + r0 * M, count: nr * M)
                Linear.backwardInput(dOut: acts.dFc + r0 * M, weight: p + w.fcWeight, dInp: acts.dLn + r0 * C,
                                     rows: nr, inputs: C, outputs: M, layout: self.weightLayout)
                LayerNorm.backwardInput(dy: acts.dLn + r0 * C, x: mlpIn + r0 * C, weight: p + w.ln2Weight,
                                        mean: mean2 + r0, rstd: rstd2 + r0, dx: acts.dBranch + r0 * C,
                                        rows: nr, cols: C, residual: dOut + r0 * C)
                // attention branch
                Linear.backwardInput(dOut: dAttnOut + r0 * C, weight: p + w.attnOutWeight, dInp: acts.dAttY + r0 * C,
                                     rows: nr, inputs: C, outputs: C, layout: self.weightLayout)
                Attention.causalBackward(dOut: acts.dAttY + r0 * C, qkv: qkv + r0 * 3 * C,
                                         att: att + s0 * NH * t * t, dAtt: acts.dAtt + s0 * NH * t * t,
                                         dqkv: acts.dqkv + r0 * 3 * C, rows: bb, context: t, heads: NH,
                                         headDim: arch.headDim, layout: self.qkvLayout, scale: scale)
                self.rotary?.rotate(acts.dqkv + r0 * 3 * C, rows: bb, context: t, heads: NH, headDim: arch.headDim,
                                    layout: self.qkvLayout, direction: .inverse)
                Linear.backwardInput(dOut: acts.dqkv + r0 * 3 * C, weight: p + w.qkvWeight, dInp: acts.dLn1 + r0 * C,
                                     rows: nr, inputs: C, outputs: 3 * C, layout: self.weightLayout)
                // the block input's gradient = d ln1-path + dBranch
                LayerNorm.backwardInput(dy: acts.dLn1 + r0 * C, x: x + r0 * C, weight: p + w.ln1Weight,
                                        mean: mean1 + r0, rstd: rstd1 + r0, dx: dInp + r0 * C,
                                        rows: nr, cols: C, residual: acts.dBranch + r0 * C)
            }
            // parameter gradients over all N rows
            Linear.backwardWeights(dOut: dOut, inp: fcAct, dWeight: g + w.fcOutWeight, dBias: g + w.fcOutBias,
                                   rows: n, inputs: M, outputs: C, layout: weightLayout, ones: acts.ones)
            Linear.backwardWeights(dOut: acts.dFc, inp: ln2, dWeight: g + w.fcWeight, dBias: g + w.fcBias,
                                   rows: n, inputs: C, outputs: M, layout: weightLayout, ones: acts.ones)
            LayerNorm.accumulateWeightGradients(dy: acts.dLn, x: mlpIn, mean: mean2, rstd: rstd2,
                                                dweight: g + w.ln2Weight, dbias: g + w.ln2Bias, rows: n, cols: C)
            Linear.backwardWeights(dOut: dAttnOut, inp: attY, dWeight: g + w.attnOutWeight,
                                   dBias: w.attnOutBias.map { g + $0 },
                                   rows: n, inputs: C, outputs: C, layout: weightLayout, ones: acts.ones)
            Linear.backwardWeights(dOut: acts.dqkv, inp: ln1, dWeight: g + w.qkvWeight, dBias: w.qkvBias.map { g + $0 },
                                   rows: n, inputs: C, outputs: 3 * C, layout: weightLayout, ones: acts.ones)
            LayerNorm.accumulateWeightGradients(dy: acts.dLn1, x: x, mean: mean1, rstd: rstd1,
                                                dweight: g + w.ln1Weight, dbias: g + w.ln1Bias, rows: n, cols: C)
            swap(&dy, &dIn)
        }
        Embedding.backward(dOut: dy, tokens: acts.tokens, dwte: g + layout.tokenEmbedding,
                           dwpe: layout.positionEmbedding.map { g + $0 }, batch: b, context: t, channels: C)
        lastForwardComputedGradients = false
    }

    /// dst (rows, cols) ← src + b1 + b2, each bias (cols) broadcast over rows, nil ones skipped; one
    /// row-parallel pass (the residual stream pre-filled for an accumulating projection).
    private static func add(_ src: UnsafePointer<Float>, _ b1: UnsafePointer<Float>?, _ b2: UnsafePointer<Float>?,
                            into dst: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        Parallel.forEachChunk(rows, minChunk: max(1, 16_384 / max(cols, 1))) { range in
            for r in range {
                let (s, d) = (src + r * cols, dst + r * cols)
                switch (b1, b2) {
                case let (b1?, b2?): for c in 0..<cols { d[c] = s[c] + b1[c] + b2[c] }
                case let (b1?, nil), let (nil, b1?): for c in 0..<cols { d[c] = s[c] + b1[c] }
                case (nil, nil): d.update(from: s, count: cols)
                }
            }
        }
    }

    /// 1/√hd, further divided by layer + 1 for GPT-2's `scale_attn_by_inverse_layer_idx`.
    private func attentionScale(layer l: Int) -> Float {
        let base = 1 / Float(config.headDim).squareRoot()
        return scalesByInverseLayerIndex ? base / Float(l + 1) : base
    }
}
