import Foundation
import SAETrackCore
import SAETrackSAE

/// Trains one SAE with its latents split over the ranks of an MPI job, step for step the
/// single-process `SAETrainer` (SAETrackSAE) (the same batches, initialisation, loss and Adam).
///
/// Rank r owns the latents of its ``LatentShard``: those W_enc columns, b_enc entries, W_dec rows,
/// their Adam moments and dead-latent counters. b_dec (and its Adam moments) is replicated. Each
/// rank draws the same batch from its own copy of the activation source. Per step:
///
/// 1. every rank encodes the batch with its shard (one GEMM, B × d × m/n);
///    TopK: the shards' per-token top-k candidates are exchanged and ranked (`ShardedTopK`);
///    BatchTopK: the shards' top k·B candidates of the batch are exchanged and cut with the
///    single-process rule (`ShardedBatchTopK`), and the running threshold follows the global
///    smallest selected value;
/// 2. the partial reconstructions Σ_{i ∈ shard} f_i·W_dec[i] (B, d) are all-reduced — the one
///    large message, 2·(n−1)/n·B·d floats per rank;
/// 3. error, per-token MSE denominators, the upstream gradient and the loss are computed on every
///    rank from the same bytes; the L1 sum, L0 and dead-latent counts are all-reduced as scalars;
/// 4. the sparse backward pass, ghost grads / AuxK over the shard's dead latents (one more (B, d)
///    all-reduce on steps with dead latents), decoder renormalisation and parallel-gradient removal
///    are per latent, so local; the b_dec gradient's W_enc·∂b_enc part (d floats) is all-reduced;
/// 5. Adam updates the shard and (identically everywhere) b_dec.
///
/// Every exchange goes through ``MPICommunicator``'s fixed-order collectives, so reruns with the
/// same rank count and threads per rank are bit-identical. Against one process the additions of
/// the partial reconstructions come in another order, so the results agree to rounding (about
/// 1e-6 relative per step), not bit for bit.
///
/// The initial SAE is built whole on every rank exactly as `SAETrainer` (SAETrackSAE) builds it
/// (seeded init or warm start, b_dec from the same sample), then cut to the shard.
public final class ShardedSAETrainer {
    public let config: SAETrainingConfig
    public let communicator: MPICommunicator
    public let shard: LatentShard
    /// This rank's parameters: (shard, d) W_encᵀ and W_dec rows, the shard's b_enc, the full b_dec.
    public private(set) var parameters: SAEParameters
    public private(set) var optimizer: Adam
    /// Optimizer steps taken.
    public private(set) var step = 0
    /// Steps since each of the shard's latents last fired.
    public private(set) var passesSinceFired: [Int32]
    /// Tokens each of the shard's latents fired on in the current sampling window.
    public private(set) var firingCounts: [Float]
    public private(set) var windowTokens = 0
    /// The shard's firing frequencies over the last completed sampling window.
    public private(set) var lastWindowFrequency: [Float]
    /// Logged entries (identical on every rank except the timings).
    public private(set) var log: [SAETrainingLogEntry] = []
    public var source: any ActivationSource
    /// JumpReLU: the shard's thresholds θ and their Adam moments (empty for the other architectures).
    public private(set) var threshold: [Float] = []
    private var thresholdM: [Float] = [], thresholdV: [Float] = []
    /// BatchTopK's running threshold (SAELens `topk_threshold`, as `SAETrainer`'s: replicated, updated
    /// from the global smallest selected code; 0 for the other architectures).
    public private(set) var topkThreshold: Double = 0

    private let workspace = SAEStepWorkspace()
    private var gradientBuffer: SAEParameters?

    /// A trainer from scratch (`initial == nil`) or warm-started from `initial`, on every rank of `communicator`.
    public init(config: SAETrainingConfig, initial: SparseAutoencoder? = nil, source: any ActivationSource,
                communicator: MPICommunicator) throws {
        try ShardingError.check(config)
        if communicator.size > config.dSAE { throw ShardingError.tooManyRanks(ranks: communicator.size, dSAE: config.dSAE) }
        let threads = try communicator.range(of: Threads.count)
        if threads.lowerBound != threads.upperBound { throw ShardingError.ranksDisagree(setting: "--threads", values: threads) }
        // The single-process initialisation, whole, then this rank's rows.
        let whole = try SAETrainer(config: config, initial: initial, previous: nil, source: source)
        self.config = whole.config
        self.source = whole.source
        self.communicator = communicator
        shard = LatentShard(rank: communicator.rank, size: communicator.size, total: config.dSAE)
        let full = whole.parameters
        let (d, lo, hi) = (config.dIn, shard.start, shard.start + shard.count)
        parameters = SAEParameters(wEncT: full.wEncT.rows(lo..<hi), bEnc: Array(full.bEnc[lo..<hi]),
                                   wDec: full.wDec.rows(lo..<hi), bDec: full.bDec)
        precondition(parameters.dIn == d)
        optimizer = Adam(dIn: d, dSAE: shard.count, beta1: config.adamBeta1, beta2: config.adamBeta2, epsilon: config.adamEpsilon)
        passesSinceFired = [Int32](repeating: 0, count: shard.count)
        firingCounts = [Float](repeating: 0, count: shard.count)
        lastWindowFrequency = firingCounts
        if config.architecture == .jumprelu {
            threshold = Array(whole.threshold[lo..<hi])
            thresholdM = [Float](repeating: 0, count: shard.count)
            thresholdV = thresholdM
        }
        topkThreshold = whole.topkThreshold
    }

    /// The shard's dead latents (local ids, increasing).
    var localDead: [Int32] {
        var out: [Int32] = []
        for (i, n) in passesSinceFired.enumerated() where Int(n) > config.deadFeatureWindow { out.append(Int32(i)) }
        return out
    }

    /// Runs one step on the next batch (every rank together); returns the batch's loss terms.
    @discardableResult
    public func trainStep() throws -> SAELossTerms {
        let comm = communicator
        let s = step
        if (s + 1) % config.featureSamplingWindow == 0 {
            lastWindowFrequency = firingCounts.map { $0 / Float(max(windowTokens, 1)) }
            firingCounts = [Float](repeating: 0, count: shard.count)
            windowTokens = 0
        }
        let dead = localDead
        var deadCount = [Double(dead.count)]
        try comm.allreduceSum(&deadCount, kind: .scalars)
        let globalDead = Int(deadCount[0])
        let x = try source.nextBatch(config.batchSize)
        let (b, d, mLocal) = (x.rows, config.dIn, shard.count)
        let p = parameters
        let l1 = config.l1Coefficient(atStep: s)
        let standard = config.architecture == .standard
        let jump = config.architecture == .jumprelu
        let objective = SAEObjective(config)
        let usePreAct = jump && objective.preActLossCoefficient != 0 && globalDead > 0
        if jump { for i in threshold.indices where threshold[i] < 0 { threshold[i] = 0 } }   // SAELens keeps θ ≥ 0
        let jumpNorms = jump && (usePreAct || config.jumpReLUSparsity == .tanh) ? p.decoderRowNorms() : []
        let useGhost = standard && config.ghostGrads && globalDead > 0
        let batchTopK = config.architecture == .batchtopk
        let useAuxK = config.architecture.usesK && config.auxKCoefficient != 0 && globalDead > 0
        let kAux = useAuxK ? min(d / 2, globalDead) : 0

        let saeIn = Self.subtract(p.bDec, from: x)
        let activation: SAEActivation = standard || batchTopK ? .relu : jump ? .jumpReLU(threshold: threshold) : .topK(min(config.k, mLocal))
        // BatchTopK: k·B over the whole batch (at most every entry), each shard's own top that many first.
        let batchTotal = batchTopK ? min(config.k * b, b * config.dSAE) : 0
        let enc = SparseEncoder.encode(saeIn: saeIn, wEncT: p.wEncT, bEnc: p.bEnc, activation: activation,
                                       chunkRows: config.encoderChunkRows, deadFeatures: dead,
                                       gatherDeadPre: (useGhost || usePreAct) && !dead.isEmpty,
                                       auxK: useAuxK ? min(kAux, dead.count) : 0, batchTopK: min(batchTotal, b * mLocal),
                                       bandwidth: jump ? config.jumpReLUBandwidth : 0, workspace: workspace)
        var codes = enc.codes
        if config.architecture == .topk { codes = try ShardedTopK.select(codes, k: config.k, shard: shard, comm: comm, kind: .topkCandidates) }
        var smallestSelected: Float? = nil
        if batchTopK {
            let selection = try ShardedBatchTopK.select(codes, total: batchTotal, shard: shard, comm: comm, kind: .batchTopKCandidates)
            codes = selection.codes
            smallestSelected = selection.smallestSelected
        }
        let columns = codes.columns()
        var xHat = SparseDecoder.decode(codes, columns: columns, wDec: p.wDec, bias: nil)
        try comm.allreduceSum(&xHat.storage, kind: .reconstruction)
        xHat.withUnsafeMutableBufferPointer { h in
            for r in 0..<b { for j in 0..<d { h[r * d + j] += p.bDec[j] } }
        }

        // Replicated: error, denominators, MSE and explained variance (the single-process arithmetic).
        var terms = SAELossTerms.zero
        var e = Matrix(uninitializedRows: b, cols: d)
        var denominators = [Float](repeating: 1, count: b)
        var rowError = [Float](repeating: 0, count: b)
        let mean = ShardedLosses.columnMeans(x)
        x.withUnsafeBufferPointer { xb in
            xHat.withUnsafeBufferPointer { hb in
                e.withUnsafeMutableBufferPointer { eb in
                    denominators.withUnsafeMutableBufferPointer { den in
                        rowError.withUnsafeMutableBufferPointer { re in
                            let (xp, hp, ep) = (xb.baseAddress!, hb.baseAddress!, eb.baseAddress!)
                            Parallel.forEachChunk(b, minChunk: 64) { rows in
                                for r in rows {
                                    let (xr, hr, er) = (xp + r * d, hp + r * d, ep + r * d)
                                    var c2: Float = 0, e2: Float = 0
                                    for j in 0..<d {
                                        er[j] = hr[j] - xr[j]
                                        let c = xr[j] - mean[j]
                                        c2 += c * c; e2 += er[j] * er[j]
                                    }
                                    den[r] = c2; re[r] = e2
                                }
                            }
                        }
                    }
                }
            }
        }
        let saeTrackMSE = config.mseMode == .saeTrack
        var sumSquaredError: Double = 0, sumCentredSquared: Double = 0, mseSum: Double = 0
        for r in 0..<b {
            let (e2, c2) = (rowError[r], denominators[r])
            denominators[r] = c2.squareRoot()
            sumSquaredError += Double(e2); sumCentredSquared += Double(c2)
            mseSum += saeTrackMSE ? Double(e2 / denominators[r]) : Double(e2)
        }
        terms.mse = Float(saeTrackMSE ? mseSum / Double(b * d) : mseSum / Double(b))
        terms.explainedVariance = Float(1 - sumSquaredError / max(sumCentredSquared, .leastNonzeroMagnitude))
        terms.deadCount = globalDead

        // Sparsity: the shard's L1 sum and nonzeros, summed over the ranks.
        let normWeighted = config.l1Mode == .decoderNormWeighted
        let decoderNorms = normWeighted ? p.decoderRowNorms() : []
        var featureSums = [Float](repeating: 0, count: mLocal)
        for (i, v) in zip(codes.index, codes.value) { featureSums[Int(i)] += v }
        var l1Sum: Double = 0
        if standard { for i in 0..<mLocal { l1Sum += Double(normWeighted ? featureSums[i] * decoderNorms[i] : featureSums[i]) } }
        var scalars = [l1Sum, Double(codes.nnz)]
        try comm.allreduceSum(&scalars, kind: .scalars)
        terms.l0 = Float(scalars[1] / Double(b))
        if standard {
            terms.sparsity = Float(scalars[0] / Double(b))
            terms.l1 = l1 * terms.sparsity
        }

        // Upstream Y = ∂MSE/∂x̂, replicated.
        var upstream = Matrix(uninitializedRows: b, cols: d)
        e.withUnsafeBufferPointer { eb in
            upstream.withUnsafeMutableBufferPointer { u in
                for r in 0..<b {
                    let scale: Float = saeTrackMSE ? 2 / (Float(b * d) * denominators[r]) : 2 / Float(b)
                    for j in 0..<d { u[r * d + j] = scale * eb[r * d + j] }
                }
            }
        }

        // JumpReLU's sparsity loss over the shard: step and tanh are sums over latents (the shard's
        // part, all-reduced below as a scalar); quadratic needs every token's global L0 (B floats).
        var jumpSparsity: JumpReLUSparsityLoss.Output? = nil
        if jump {
            let c = config.l0Coefficient(atStep: s)
            if config.jumpReLUSparsity == .quadratic {
                var rowL0 = (0..<b).map { Float(codes.rowStart[$0 + 1] - codes.rowStart[$0]) }
                try comm.allreduceSum(&rowL0, kind: .scalars)
                let out = JumpReLUSparsityLoss.quadratic(rowL0: rowL0, coefficient: c, targetL0: config.targetL0)
                jumpSparsity = out
            } else {
                jumpSparsity = JumpReLUSparsityLoss.forward(mode: config.jumpReLUSparsity, coefficient: c, targetL0: config.targetL0,
                                                            tanhScale: config.jumpReLUTanhScale, codes: codes,
                                                            window: enc.thresholdWindow, threshold: threshold, decoderNorms: jumpNorms)
            }
        }

        // Backward over the shard.
        var g = gradientBuffer ?? SAEParameters(zerosWithDIn: d, dSAE: mLocal)
        gradientBuffer = nil
        var constants: [Float]? = nil
        if standard {
            let base = l1 / Float(b)
            constants = normWeighted ? decoderNorms.map { base * $0 } : [Float](repeating: base, count: mLocal)
        }
        SparseBackward.accumulate(codes: codes, columns: columns, upstream: upstream, saeIn: saeIn, wDec: p.wDec,
                                  featureConstant: constants, gradWDec: &g.wDec, gradWEncT: &g.wEncT, gradBEnc: &g.bEnc,
                                  overwrite: true)
        if standard && normWeighted {
            let base = l1 / Float(b)
            for i in 0..<mLocal where featureSums[i] != 0 {
                let c = base * featureSums[i] / decoderNorms[i]
                for j in 0..<d { g.wDec[i, j] += c * p.wDec[i, j] }
            }
        }
        var thresholdGradient: [Float]? = nil
        if let sparsity = jumpSparsity {
            let out = objective.jumpReLUBackward(sparsity: sparsity, codes: codes, window: enc.thresholdWindow, threshold: threshold,
                                                 upstream: upstream, saeIn: saeIn, wDec: p.wDec, decoderNorms: jumpNorms,
                                                 deadFeatures: usePreAct ? dead : [], deadPre: enc.deadPre, gradients: &g)
            thresholdGradient = out.threshold
            // The sparsity (quadratic: already global, counted once, by rank 0) and the pre-activation loss, over the shards.
            let localSparsity = config.jumpReLUSparsity == .quadratic ? (comm.isRoot ? sparsity.sparsity : 0) : sparsity.sparsity
            var v = [Double(localSparsity), Double(out.preAct)]
            try comm.allreduceSum(&v, kind: .scalars)
            terms.sparsity = Float(v[0])
            terms.l1 = config.l0Coefficient(atStep: s) * terms.sparsity
            terms.preAct = Float(v[1])
        }
        if useGhost {
            terms.ghost = try ShardedLosses.ghostGrads(dead: dead, deadPre: enc.deadPre, error: e, denominators: denominators,
                                                       saeIn: saeIn, wDec: p.wDec, gradients: &g, comm: comm)
        }
        if useAuxK {
            let local = enc.auxCodes ?? SparseRows(rows: b, cols: mLocal, rowStart: [Int](repeating: 0, count: b + 1),
                                                   index: [], value: [])
            let aux = try ShardedTopK.select(local, k: kAux, shard: shard, comm: comm, kind: .topkCandidates)
            terms.auxK = try ShardedLosses.auxK(auxCodes: aux, deadCount: globalDead, coefficient: config.auxKCoefficient,
                                                error: e, saeIn: saeIn, wDec: p.wDec, gradients: &g, comm: comm)
        }
        // ∂b_dec = Σ_b Y[b] − W_enc·∂b_enc; the second term is a sum over latents: all-reduced.
        var encoderPart = [Float](repeating: 0, count: d)
        p.wEncT.withUnsafeBufferPointer { w in
            g.bEnc.withUnsafeBufferPointer { gb in
                encoderPart.withUnsafeMutableBufferPointer { out in
                    BLAS.gemm(.none, .none, m: 1, n: d, k: mLocal, alpha: 1, a: gb.baseAddress!, lda: mLocal,
                              b: w.baseAddress!, ldb: d, beta: 0, c: out.baseAddress!, ldc: d)
                }
            }
        }
        try comm.allreduceSum(&encoderPart, kind: .bDecGradient)
        let upstreamSums = ShardedLosses.columnSums(upstream)
        for j in 0..<d { g.bDec[j] = Float(upstreamSums[j]) - encoderPart[j] }
        if config.removeParallelGradient { SAEObjective.removeParallelComponent(&g.wDec, decoder: p.wDec) }
        terms.loss = terms.mse + terms.l1 + terms.ghost + terms.auxK + terms.preAct
        // Gradient-norm clipping: the shards' squared norms (θ's too) all-reduced, b_dec's (replicated) added once.
        var clipFactor: Float = 1
        if let maxNorm = config.clipGradNorm {
            var local = [GradientClipping.squaredNorm([g.wEncT.storage, g.bEnc, g.wDec.storage, thresholdGradient ?? []])]
            try comm.allreduceSum(&local, kind: .scalars)
            let norm = Float((local[0] + GradientClipping.squaredNorm([g.bDec])).squareRoot())
            clipFactor = GradientClipping.coefficient(norm: norm, maxNorm: maxNorm)
            if clipFactor < 1, var tg = thresholdGradient {
                for t in tg.indices { tg[t] *= clipFactor }
                thresholdGradient = tg
            }
        }

        // Counters of the shard's latents.
        for i in 0..<mLocal { passesSinceFired[i] &+= 1 }
        for i in codes.index {
            firingCounts[Int(i)] += 1
            passesSinceFired[Int(i)] = 0
        }
        windowTokens += b
        if let smallest = smallestSelected {                         // SAELens update_topk_threshold, as SAETrainer
            topkThreshold = (1 - config.topkThresholdLR) * topkThreshold + config.topkThresholdLR * Double(smallest)
        }
        optimizer.update(&parameters, gradients: g, lr: config.learningRate(atStep: s),
                         normaliseDecoderRows: config.decoderNormMode == .unitNorm, gradientScale: clipFactor)
        if let tg = thresholdGradient {
            optimizer.update(vector: &threshold, gradient: tg, m: &thresholdM, v: &thresholdV, lr: config.learningRate(atStep: s))
        }
        gradientBuffer = g
        step += 1
        return terms
    }

    /// Dead latents over all ranks and the mean passes since firing (a collective).
    func globalCounters() throws -> (dead: Int, meanPasses: Float) {
        var v = [Double(localDead.count), passesSinceFired.reduce(0) { $0 + Double($1) }]
        try communicator.allreduceSum(&v, kind: .scalars)
        return (Int(v[0]), Float(v[1] / Double(max(config.dSAE, 1))))
    }

    /// Trains until `config.steps` (or `untilStep`), logging every `logEvery` steps and at the last,
    /// as `SAETrainer.train(untilStep:progress:)`. Every rank calls it together.
    public func train(untilStep: Int? = nil, progress: ((SAETrainingLogEntry) -> Void)? = nil) throws {
        let end = min(untilStep ?? config.steps, config.steps)
        let start = Date()
        var lastTime = start, lastStep = step
        while step < end {
            let terms = try trainStep()
            if (config.logEvery > 0 && step % config.logEvery == 0) || step == config.steps {
                let now = Date()
                let counters = try globalCounters()
                let entry = SAETrainingLogEntry.make(
                    step: step, tokens: step * config.batchSize, lr: config.learningRate(atStep: step - 1),
                    l1Coefficient: config.l1Coefficient(atStep: step - 1), terms: terms, deadFeatures: counters.dead,
                    meanPassesSinceFired: counters.meanPasses,
                    tokensPerSecond: Double((step - lastStep) * config.batchSize) / max(now.timeIntervalSince(lastTime), 1e-9),
                    elapsedSeconds: now.timeIntervalSince(start))
                log.append(entry)
                progress?(entry)
                lastTime = now; lastStep = step
            }
        }
    }

    /// The whole trained SAE and the firing frequencies (as `SAETrainingResult`) on rank 0,
    /// gathered from every shard; nil on the other ranks. Every rank calls it together.
    public func gatherResult() throws -> SAETrainingResult? {
        let comm = communicator, d = config.dIn
        let counts = LatentShard.counts(size: comm.size, total: config.dSAE)
        let rowCounts = counts.map { $0 * d }
        let wEncT = try comm.gatherToRoot(parameters.wEncT.storage, counts: rowCounts, kind: .gather)
        let wDec = try comm.gatherToRoot(parameters.wDec.storage, counts: rowCounts, kind: .gather)
        let bEnc = try comm.gatherToRoot(parameters.bEnc, counts: counts, kind: .gather)
        let frequency = windowTokens > 0 ? firingCounts.map { $0 / Float(windowTokens) } : lastWindowFrequency
        let freq = try comm.gatherToRoot(frequency, counts: counts, kind: .gather)
        let theta = config.architecture == .jumprelu ? try comm.gatherToRoot(threshold, counts: counts, kind: .gather) : []
        guard let wEncT, let wDec, let bEnc, let freq, let theta else { return nil }
        var p = SAEParameters(wEncT: Matrix(rows: config.dSAE, cols: d, storage: wEncT), bEnc: bEnc,
                              wDec: Matrix(rows: config.dSAE, cols: d, storage: wDec), bDec: parameters.bDec)
        if config.decoderNormMode == .unitNorm { p.normaliseDecoderRows() }
        var sae: SparseAutoencoder
        switch config.architecture {
        case .topk: sae = p.autoencoder(activation: .topK(config.k))
        case .jumprelu: sae = p.autoencoder(activation: .jumpReLU(threshold: theta.map { max($0, 0) }))
        // SAETrainer's inference SAE: JumpReLU at the running threshold (the decoder-norm rescale is not sharded).
        case .batchtopk: sae = p.autoencoder(activation: .jumpReLU(threshold: [Float](repeating: Float(topkThreshold), count: config.dSAE)))
        default: sae = p.autoencoder(activation: .relu)
        }
        return SAETrainingResult.make(sae: sae, log: log, firingFrequency: freq, steps: step)
    }

    /// x − b_dec per row.
    static func subtract(_ bDec: [Float], from x: Matrix) -> Matrix {
        let (b, d) = (x.rows, x.cols)
        var out = Matrix(uninitializedRows: b, cols: d)
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { o in
                for r in 0..<b { for j in 0..<d { o[r * d + j] = xb[r * d + j] - bDec[j] } }
            }
        }
        return out
    }
}
