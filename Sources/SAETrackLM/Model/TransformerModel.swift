import Foundation
import SAETrackCore
import SAETrackIO

/// A GPT-NeoX or GPT-2 language model over one flat parameter buffer (``ParameterLayout``): the one
/// transformer forward of SAETrack, for training and for inference (llm.c's `gpt2_forward` /
/// `gpt2_backward`, one forward serving both).
///
/// ```swift
/// let model = try TransformerModel(config: .demoLM(vocabSize: 260), seed: 0)
/// model.zeroGradients()
/// let loss = model.forward(tokens: batch, batch: 16, context: 128, computeGradients: true)
/// model.backward()               // model.gradients now holds dloss/dθ
/// ```
///
/// The training forward caches what the backward needs in a per-shape workspace and lets the
/// output projections accumulate straight into the residual stream. An inference pass
/// (`forward(tokens:batch:context:offering:visit:head:)`, used by `TransformerLM`) takes a
/// workspace holding one layer of buffers, keeps each hook's tensor in a buffer of its own, offers
/// a visitor the hooks it asks for (reading, replacing, or stopping there), and skips everything
/// after a stop. Every inference pass does the same float operations whichever hooks it offers, so
/// a pass that stops at a hook gives exactly the values a full pass visits there. Between two
/// offered hooks the work is one parallel region over blocks of sequences.
///
/// The loss is the mean next-token cross-entropy over every position except each row's last, exactly
/// what transformers computes for `model(input_ids, labels=input_ids).loss`.
public final class TransformerModel: @unchecked Sendable {
    /// The Hugging Face config: shape and wiring (what checkpoints are written with).
    public let config: ModelConfig
    /// Where each named tensor lives in ``parameters`` and ``gradients``.
    public let layout: ParameterLayout
    /// All parameters, laid out by ``layout``.
    public let parameters: UnsafeMutableBufferPointer<Float>
    /// Gradients of the last `forward(tokens:batch:context:computeGradients:)` + ``backward()``,
    /// accumulated (call ``zeroGradients()`` between steps). Allocated on first use, so a model that
    /// only runs inference never holds them.
    public var gradients: UnsafeMutableBufferPointer<Float> {
        if let g = gradientStorage { return g }
        let g = UnsafeMutableBufferPointer<Float>.allocate(capacity: layout.count)
        g.initialize(repeating: 0)
        gradientStorage = g
        return g
    }
    private var gradientStorage: UnsafeMutableBufferPointer<Float>?

    private let qkvLayout: QKVLayout
    private let rotary: Rotary?
    private let weightLayout: Linear.Layout
    /// The MLP's non-linearity; training needs a GELU (``trainingUnsupportedReason``).
    private let activation: ActivationFunction
    private let attentionScales: [Float]
    /// The training workspace, kept between steps of one shape.
    private var activations: TrainingActivations?
    private var lastForwardComputedGradients = false
    /// Inference workspaces, reused by later passes of the same shape (any thread).
    private let inferenceWorkspaces = WorkspacePool()

    /// A freshly initialised model for training (Hugging Face's scheme, seeded; see
    /// `ParameterInitialization`). Throws ``LMTrainingError/invalidArchitecture(_:)`` for a config
    /// the backward does not implement (an MLP activation other than GELU).
    /// - Parameter initializerRange: the standard deviation (HF `initializer_range`, 0.02).
    public convenience init(config: ModelConfig, seed: UInt64, initializerRange: Float = 0.02) throws {
        try self.init(config: config)
        if let reason = trainingUnsupportedReason {
            throw LMTrainingError.invalidArchitecture("\(config.summary): \(reason)")
        }
        ParameterInitialization.initialize(parameters, layout: layout, layers: config.nLayers,
                                           initializerRange: initializerRange, seed: seed)
    }

    /// A model holding `weights` (Hugging Face names and shapes as `ModelDirectory.loadWeights()`
    /// returns them, 1-D tensors as one-row matrices). Throws
    /// ``TransformerLMError/weightsDoNotMatchConfig(model:problems:)`` listing every missing,
    /// unexpected or wrongly shaped tensor. A tied `lm_head.weight` equal in shape is accepted.
    public convenience init(config: ModelConfig, weights: [String: Matrix]) throws {
        try self.init(config: config)
        var problems: [String] = []
        for t in layout.tensors {
            guard let m = weights[t.name] else { problems.append("\(t.name) is missing"); continue }
            guard m.count == t.count, m.cols == t.shape.last! else {
                problems.append("\(t.name) is [\(m.rows), \(m.cols)], expected \(t.shape)")
                continue
            }
            m.withUnsafeBufferPointer { src in
                _ = UnsafeMutableBufferPointer(rebasing: parameters[t.range]).update(fromContentsOf: src)
            }
        }
        let tiedHeadNames: Set<String> = config.tiedEmbeddings ? ["lm_head.weight", "embed_out.weight"] : []
        for name in weights.keys.sorted() where layout.tensor(named: name) == nil && !tiedHeadNames.contains(name) {
            problems.append("\(name) is not a tensor of this model")
        }
        if !problems.isEmpty { throw TransformerLMError.weightsDoNotMatchConfig(model: config.summary, problems: problems) }
    }

    private init(config: ModelConfig) throws {
        let unsupported = { (reason: String) in TransformerLMError.unsupportedConfig(model: config.summary, reason: reason) }
        guard config.dModel % config.nHeads == 0 else { throw unsupported("d_model is not a multiple of n_heads") }
        let headDim = config.headDim
        guard config.rotaryDims % 2 == 0, config.rotaryDims <= headDim else {
            throw unsupported("rotary dims \(config.rotaryDims) must be even and ≤ head_dim \(headDim)")
        }
        activation = config.activation
        var scale = 1 / Float(headDim).squareRoot()
        var byLayer = false
        if case .gpt2(let c) = config {
            if !c.scaleAttnWeights { scale = 1 }
            byLayer = c.scaleAttnByInverseLayerIdx
        }
        attentionScales = (0..<config.nLayers).map { byLayer ? scale / Float($0 + 1) : scale }
        self.config = config
        layout = ParameterLayout(config)
        parameters = .allocate(capacity: layout.count)
        parameters.initialize(repeating: 0)
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
        gradientStorage?.deallocate()
    }

    /// Why this model cannot be trained, or nil: the backward implements the GELU activations only.
    public var trainingUnsupportedReason: String? {
        switch activation {
        case .geluExact, .geluTanh: return nil
        default: return "training supports the GELU activations only, not \(activation)"
        }
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

    // MARK: - Training forward

    /// The training forward pass: caches activations, returns the mean next-token cross-entropy.
    ///
    /// With `computeGradients` the unembedding's backward runs fused with the loss (its logits never
    /// exist in full): the head's weight gradient is added to ``gradients`` and ``backward()`` continues
    /// from the final LayerNorm.
    /// - Parameters:
    ///   - tokens: (B, T) row-major ids, each in `0..<vocabSize`; T ≤ `maxPositions`.
    public func forward(tokens: UnsafeBufferPointer<Int32>, batch b: Int, context t: Int,
                        computeGradients: Bool = false) -> Float {
        precondition(!computeGradients || trainingUnsupportedReason == nil,
                     "TransformerModel.forward: \(trainingUnsupportedReason ?? "")")
        let acts = prepare(batch: b, context: t)
        let loss = run(tokens: tokens, batch: b, context: t, in: acts, offering: { _ in false }, visit: { _, _ in .proceed },
                       head: .loss(gradients: computeGradients))!
        lastForwardComputedGradients = computeGradients
        return loss
    }

    /// The training forward pass over an array of tokens; see `forward(tokens:batch:context:computeGradients:)`.
    public func forward(tokens: [Int32], batch b: Int, context t: Int, computeGradients: Bool = false) -> Float {
        tokens.withUnsafeBufferPointer { forward(tokens: $0, batch: b, context: t, computeGradients: computeGradients) }
    }

    private func prepare(batch b: Int, context t: Int) -> TrainingActivations {
        if let a = activations, a.batch == b, a.context == t { return a }
        activations = nil   // free the old shape first
        let a = TrainingActivations(config, batch: b, context: t)
        activations = a
        return a
    }

    // MARK: - Inference forward

    /// What a pass computes after the blocks.
    public enum Head {
        /// Nothing: the pass ends after the last block (or where the visitor stops it).
        case none
        /// The mean next-token loss (what ``forward(tokens:batch:context:offering:visit:head:)`` returns).
        case loss
        /// Every logit, written to the (B·T, V) buffer; the loss is returned as well.
        case logits(UnsafeMutablePointer<Float>)
    }

    /// An inference pass (nothing kept for a backward), on a workspace of its own, so passes may run
    /// on several threads at once.
    ///
    /// The visitor is called at each hook `offering` accepts, in ``HookPoint/all(layers:)`` order,
    /// with that tensor (B·T, C); what it leaves in the matrix is what the model continues from.
    /// Returning `.stop` ends the pass there.
    /// - Returns: the head's loss (0 for `.none`), or nil when the visitor stopped the pass.
    public func forward(tokens: UnsafeBufferPointer<Int32>, batch b: Int, context t: Int,
                        offering: (HookPoint) -> Bool, visit: HookVisitor, head: Head) -> Float? {
        let acts = inferenceWorkspaces.take(batch: b, context: t)
            ?? TrainingActivations(config, batch: b, context: t, savesForBackward: false)
        defer { inferenceWorkspaces.give(acts) }
        let stage: Stage
        switch head {
        case .none: stage = .none
        case .loss: stage = .loss(gradients: false)
        case .logits(let z): stage = .logits(z)
        }
        return run(tokens: tokens, batch: b, context: t, in: acts, offering: offering, visit: visit, head: stage)
    }

    /// What `run` computes after the blocks (the public `Head`, plus the training loss with gradients).
    private enum Stage {
        case none
        case loss(gradients: Bool)
        case logits(UnsafeMutablePointer<Float>)
    }

    /// One unit of the forward, run for a block of sequences inside a parallel region, or a hook
    /// offered to the visitor between regions.
    private enum Step {
        case embed
        /// ln1 → QKV (+ rotary) → causal attention: the heads' outputs.
        case attention(Int)
        /// Training: output projection, residual adds and MLP in one go, the projections
        /// accumulating into the block output.
        case fusedOutputs(Int)
        /// Inference: the same with each hook tensor in its own buffer (attention output, resid_mid,
        /// MLP output, block output), so that every pass, whichever hooks it offers, computes the same
        /// bits, and a replaced tensor is what the rest of the block reads.
        case attnOut(Int), mid(Int), mlp(Int), post(Int)
        case finalNorm
        case hook(HookPoint)
    }

    private func steps(offering: (HookPoint) -> Bool, head: Stage, saves: Bool) -> [Step] {
        var steps: [Step] = [.embed]
        for l in 0..<config.nLayers {
            if offering(.residPre(l)) { steps.append(.hook(.residPre(l))) }
            steps.append(.attention(l))
            if saves {
                precondition(![HookPoint.attnOut(l), .residMid(l), .mlpOut(l)].contains(where: offering),
                             "TransformerModel: hooks inside a block are offered by inference passes only")
                steps.append(.fusedOutputs(l))
            } else {
                steps.append(.attnOut(l))
                if offering(.attnOut(l)) { steps.append(.hook(.attnOut(l))) }
                steps.append(.mid(l))
                if offering(.residMid(l)) { steps.append(.hook(.residMid(l))) }
                steps.append(.mlp(l))
                if offering(.mlpOut(l)) { steps.append(.hook(.mlpOut(l))) }
                steps.append(.post(l))
            }
            if offering(.residPost(l)) { steps.append(.hook(.residPost(l))) }
        }
        if case .none = head {} else { steps.append(.finalNorm) }
        return steps
    }

    private func run(tokens: UnsafeBufferPointer<Int32>, batch b: Int, context t: Int, in acts: TrainingActivations,
                     offering: (HookPoint) -> Bool, visit: HookVisitor, head: Stage) -> Float? {
        let arch = config
        let (C, V) = (arch.dModel, arch.vocabSize)
        precondition(b >= 1 && t >= 1 && tokens.count == b * t,
                     "TransformerModel.forward: \(tokens.count) tokens cannot be (\(b), \(t))")
        precondition(t <= arch.contextLength, "TransformerModel.forward: context \(t) exceeds \(arch.contextLength) positions")
        let n = b * t
        for i in 0..<n {
            let token = tokens[i]
            precondition(token >= 0 && Int(token) < V, "TransformerModel.forward: token \(token) outside the vocabulary 0..<\(V)")
            acts.tokens[i] = token
            acts.targets[i] = (i % t == t - 1) ? -1 : tokens[i + 1]
        }
        var computeGradients = false
        if case .loss(let g) = head { computeGradients = g }
        let frame = Frame(model: self, acts: acts, batch: b, context: t, computeGradients: computeGradients)

        // Everything before the head is local to a sequence, so the work between two offered hooks
        // runs as one parallel region over blocks of sequences: each thread takes its sequences
        // through every step with one-thread kernels (kernels called inside a parallel loop run
        // inline), instead of one region per kernel. With fewer sequences than threads it is one
        // block, and the kernels split their own work as usual.
        var segment: [Step] = []
        func runSegment() {
            guard !segment.isEmpty else { return }
            let work = segment
            Parallel.forEachChunk(b) { seqs in
                for step in work { frame.execute(step, sequences: seqs) }
            }
            segment.removeAll()
        }
        for step in steps(offering: offering, head: head, saves: acts.savesForBackward) {
            guard case .hook(let point) = step else { segment.append(step); continue }
            runSegment()
            let buffer = frame.tensor(at: point)
            var value = Matrix(rows: n, cols: C, storage: Array(UnsafeBufferPointer(start: buffer, count: n * C)))
            let next = visit(point, &value)
            precondition(value.rows == n && value.cols == C,
                         "TransformerModel: the visitor left \(point) as (\(value.rows), \(value.cols)), expected (\(n), \(C))")
            if next == .stop { return nil }
            value.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: n * C) }
        }
        runSegment()

        let p = UnsafePointer(parameters.baseAddress!)
        switch head {
        case .none:
            return 0
        case .loss(let gradients):
            return UnembeddingCrossEntropy.run(
                x: acts.lnf, weight: p + layout.unembedding, targets: acts.targets,
                dx: gradients ? acts.dLnf : nil,
                dWeight: gradients ? self.gradients.baseAddress! + layout.unembedding : nil,
                logits: nil, scratch: acts.headScratch, rows: n, channels: C, vocab: V)
        case .logits(let z):
            return UnembeddingCrossEntropy.run(
                x: acts.lnf, weight: p + layout.unembedding, targets: acts.targets, dx: nil, dWeight: nil,
                logits: z, scratch: acts.headScratch, rows: n, channels: C, vocab: V)
        }
    }

    /// The pointers of one pass: which buffer each step reads and writes for a block of sequences.
    /// A training workspace has a slot per layer; an inference one reuses slot 0 and alternates the
    /// block input and output between two residual slots.
    private struct Frame: @unchecked Sendable {
        let model: TransformerModel
        let acts: TrainingActivations
        let batch: Int, context: Int
        let computeGradients: Bool

        var n: Int { batch * context }
        var saves: Bool { acts.savesForBackward }
        func slot(_ l: Int) -> Int { saves ? l : 0 }
        /// The residual stream entering block `i` (i = L: the last block's output).
        func residual(_ i: Int) -> UnsafeMutablePointer<Float> {
            acts.residual + (saves ? i : i % 2) * n * model.config.dModel
        }

        /// The (N, C) tensor a hook reads.
        func tensor(at point: HookPoint) -> UnsafeMutablePointer<Float> {
            let C = model.config.dModel
            switch point {
            case .residPre(let l): return residual(l)
            case .attnOut: return acts.attnOut
            case .residMid(let l): return acts.residualMid + slot(l) * n * C
            case .mlpOut: return acts.mlpOut
            case .residPost(let l): return residual(l + 1)
            }
        }

        func execute(_ step: Step, sequences seqs: Range<Int>) {
            let arch = model.config
            let (C, NH, t, n) = (arch.dModel, arch.nHeads, context, n)
            let (s0, bb) = (seqs.lowerBound, seqs.count)
            let (r0, nr) = (s0 * t, bb * t)       // this block's rows of every (N, ·) buffer
            let p = UnsafePointer(model.parameters.baseAddress!)
            let eps = arch.layerNormEpsilon
            let layout = model.weightLayout
            switch step {
            case .embed:
                Embedding.forward(tokens: acts.tokens + r0, wte: p + model.layout.tokenEmbedding,
                                  wpe: model.layout.positionEmbedding.map { p + $0 },
                                  out: residual(0) + r0 * C, batch: bb, context: t, channels: C)
            case .attention(let l):
                // attY (N, C) = attention(rotary(ln1(x) · Wqkv + b)); with rotary the bias is added in the rotary pass
                let w = model.layout.blocks[l], s = slot(l)
                let ln1 = acts.ln1 + (s * n + r0) * C, qkv = acts.qkv + (s * n + r0) * 3 * C
                LayerNorm.forward(residual(l) + r0 * C, weight: p + w.ln1Weight, bias: p + w.ln1Bias, ln1,
                                  mean: acts.ln1Mean + s * n + r0, rstd: acts.ln1Rstd + s * n + r0,
                                  rows: nr, cols: C, epsilon: eps)
                let qkvBias = w.qkvBias.map { p + $0 }
                Linear.forward(ln1, weight: p + w.qkvWeight, bias: model.rotary == nil ? qkvBias : nil, out: qkv,
                               rows: nr, inputs: C, outputs: 3 * C, layout: layout)
                model.rotary?.rotate(qkv, rows: bb, context: t, heads: NH, headDim: arch.headDim,
                                     layout: model.qkvLayout, bias: qkvBias)
                Attention.causalForward(qkv: qkv, att: acts.att + (s * batch + s0) * NH * t * t,
                                        out: acts.attY + (s * n + r0) * C, rows: bb, context: t, heads: NH,
                                        headDim: arch.headDim, layout: model.qkvLayout, scale: model.attentionScales[l])
            case .fusedOutputs(let l):
                // parallel y = x + attn + mlp(ln2(x)); sequential mid = x + attn, y = mid + mlp(ln2(mid)).
                // The output projections accumulate into a stream pre-filled with x and their biases.
                let w = model.layout.blocks[l], s = slot(l)
                let (x, y) = (residual(l) + r0 * C, residual(l + 1) + r0 * C)
                let attnOutBias = w.attnOutBias.map { p + $0 }, fcOutBias = p + w.fcOutBias
                let attnSum = arch.parallelResidual ? y : acts.residualMid + (s * n + r0) * C
                TransformerModel.add(x, attnOutBias, arch.parallelResidual ? fcOutBias : nil, into: attnSum, rows: nr, cols: C)
                Linear.forward(acts.attY + (s * n + r0) * C, weight: p + w.attnOutWeight, bias: nil, out: attnSum,
                               rows: nr, inputs: C, outputs: C, layout: layout, accumulate: true)
                if !arch.parallelResidual { TransformerModel.add(attnSum, fcOutBias, nil, into: y, rows: nr, cols: C) }
                mlp(l, input: arch.parallelResidual ? x : attnSum, rows: r0, count: nr, into: y, outputBias: nil, accumulate: true)
            case .attnOut(let l):
                let w = model.layout.blocks[l], s = slot(l)
                Linear.forward(acts.attY + (s * n + r0) * C, weight: p + w.attnOutWeight, bias: w.attnOutBias.map { p + $0 },
                               out: acts.attnOut + r0 * C, rows: nr, inputs: C, outputs: C, layout: layout)
            case .mid(let l):
                TransformerModel.sum(residual(l) + r0 * C, acts.attnOut + r0 * C,
                                     into: acts.residualMid + (slot(l) * n + r0) * C, count: nr * C)
            case .mlp(let l):
                let mid = acts.residualMid + (slot(l) * n + r0) * C
                mlp(l, input: arch.parallelResidual ? residual(l) + r0 * C : mid, rows: r0, count: nr,
                    into: acts.mlpOut + r0 * C, outputBias: p + model.layout.blocks[l].fcOutBias, accumulate: false)
            case .post(let l):
                TransformerModel.sum(acts.residualMid + (slot(l) * n + r0) * C, acts.mlpOut + r0 * C,
                                     into: residual(l + 1) + r0 * C, count: nr * C)
            case .finalNorm:
                LayerNorm.forward(residual(arch.nLayers) + r0 * C, weight: p + model.layout.finalNormWeight,
                                  bias: p + model.layout.finalNormBias, acts.lnf + r0 * C,
                                  mean: acts.lnfMean + r0, rstd: acts.lnfRstd + r0, rows: nr, cols: C, epsilon: eps)
            case .hook:
                preconditionFailure("TransformerModel: hooks are offered between regions")
            }
        }

        /// out (nr, C) [+]= act(ln2(input) · Wfc + b) · Wout [+ outputBias]; GELU adds the up
        /// projection's bias and keeps gelu' for a training backward in the same pass.
        func mlp(_ l: Int, input: UnsafePointer<Float>, rows r0: Int, count nr: Int,
                 into out: UnsafeMutablePointer<Float>, outputBias: UnsafePointer<Float>?, accumulate: Bool) {
            let arch = model.config
            let (C, M, n) = (arch.dModel, arch.dMLP, n)
            let w = model.layout.blocks[l], s = slot(l)
            let p = UnsafePointer(model.parameters.baseAddress!)
            let ln2 = acts.ln2 + (s * n + r0) * C
            let fcPre = acts.fcPre + (s * n + r0) * M, fcAct = acts.fcAct + (s * n + r0) * M
            LayerNorm.forward(input, weight: p + w.ln2Weight, bias: p + w.ln2Bias, ln2,
                              mean: acts.ln2Mean + s * n + r0, rstd: acts.ln2Rstd + s * n + r0,
                              rows: nr, cols: C, epsilon: arch.layerNormEpsilon)
            switch model.activation {
            case .geluExact, .geluTanh:
                Linear.forward(ln2, weight: p + w.fcWeight, bias: nil, out: fcPre,
                               rows: nr, inputs: C, outputs: M, layout: model.weightLayout)
                GELU.forward(fcPre, bias: p + w.fcBias, fcAct, derivative: computeGradients ? fcPre : nil,
                             rows: nr, cols: M, approximation: model.activation == .geluExact ? .exact : .tanh)
            case .relu, .silu:
                Linear.forward(ln2, weight: p + w.fcWeight, bias: p + w.fcBias, out: fcAct,
                               rows: nr, inputs: C, outputs: M, layout: model.weightLayout)
                TransformerModel.activate(fcAct, count: nr * M, model.activation)
            }
            Linear.forward(fcAct, weight: p + w.fcOutWeight, bias: outputBias, out: out,
                           rows: nr, inputs: M, outputs: C, layout: model.weightLayout, accumulate: accumulate)
        }
    }
    /// The backward pass of the last `forward(…, computeGradients: true)`: adds dloss/dθ to ``gradients``.
    public func backward() {
        guard let acts = activations, lastForwardComputedGradients else {
            preconditionFailure("TransformerModel.backward: call forward(…, computeGradients: true) first")
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
            let scale = attentionScales[l]

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

    /// dst ← a + b over `count` floats (a block of rows of two (N, C) tensors).
    private static func sum(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
                            count: Int) {
        Parallel.forEachChunk(count, minChunk: 65_536) { range in
            for i in range { dst[i] = a[i] + b[i] }
        }
    }

    /// The non-GELU activations, elementwise in place (GELU runs fused with the up projection's bias).
    private static func activate(_ x: UnsafeMutablePointer<Float>, count: Int, _ activation: ActivationFunction) {
        switch activation {
        case .geluExact: GELU.forward(x, x, count: count, approximation: .exact)
        case .geluTanh: GELU.forward(x, x, count: count, approximation: .tanh)
        case .relu: ReLU.forward(x, x, count: count)
        case .silu:
            Parallel.forEachChunk(count, minChunk: 16_384) { range in
                for i in range { x[i] = x[i] / (1 + expf(-x[i])) }
            }
        }
    }
}

/// Inference workspaces kept for reuse, keyed by batch shape; taking and giving back are locked,
/// so concurrent passes each get their own.
private final class WorkspacePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [TrainingActivations] = []
    /// How many idle workspaces are kept (a shape change frees the oldest).
    private let capacity = 2

    func take(batch: Int, context: Int) -> TrainingActivations? {
        lock.lock(); defer { lock.unlock() }
        guard let i = idle.firstIndex(where: { $0.batch == batch && $0.context == context }) else { return nil }
        return idle.remove(at: i)
    }

    func give(_ workspace: TrainingActivations) {
        lock.lock(); defer { lock.unlock() }
        idle.append(workspace)
        if idle.count > capacity { idle.removeFirst() }
    }
}
