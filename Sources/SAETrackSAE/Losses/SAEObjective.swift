import SAETrackCore

/// One training step's forward pass, loss and gradients, for both architectures.
///
/// Standard (SAE-Track, Docs/Method.md §3.2), with x (B, d), sae_in = x − b_dec:
/// ```
/// pre = sae_in·W_enc + b_enc;  f = ReLU(pre);  x̂ = f·W_dec + b_dec;  e = x̂ − x
/// MSE (saeTrack) = 1/(B·d) Σ_b Σ_j e[b,j]² / ‖x_b − mean_batch(x)‖₂      (norm, NOT squared)
/// MSE (saeLens)  = 1/B Σ_b Σ_j e[b,j]²
/// L1  = l1 · 1/B Σ_b Σ_i f[b,i] · (1 | ‖W_dec[i]‖₂)                       (`SAEL1Mode`)
/// ```
/// plus ghost grads (`GhostGrads`) or, for the TopK family, AuxK (`AuxKLoss`; Matryoshka's per-level
/// form `MatryoshkaAuxKLoss`), JumpReLU's sparsity loss
/// (`JumpReLUSparsityLoss`, through the straight-through estimators of `JumpReLUThresholdGradient`)
/// and pre-activation loss (`PreActivationLoss`), Matryoshka's nested prefix
/// reconstructions (`MatryoshkaLoss`: each feature group's Y is the sum over the levels it enters),
/// and the optional anchor
/// `reg·(‖W_enc − W_enc^prev‖² + ‖W_dec − W_dec^prev‖²)`. Backward:
/// ```
/// Y = ∂L/∂x̂ = 2e / (B·d·‖x_c,b‖)  (saeTrack)  or  2e / B  (saeLens)              (B, d)
/// dpre[b,i] = Y[b]·W_dec[i] + l1/B·(1 | ‖W_dec[i]‖)   at active (b,i) only        (SparseBackward)
/// dW_dec = fᵀY;  dW_enc = sae_inᵀ·dpre;  db_enc = Σ_b dpre;  db_dec = Σ_b Y − W_enc·db_enc
/// ```
/// and finally, if enabled, the component of each decoder-row gradient parallel to the row is
/// removed: g_i ← g_i − (g_i·w_i) w_i (Docs/Method.md §4.1 step 7).
public struct SAEObjective: Sendable {
    public var architecture: SAEArchitecture
    public var mseMode: SAEMSEMode
    public var l1Mode: SAEL1Mode
    public var l1Coefficient: Float
    public var k: Int
    public var auxKCoefficient: Float
    public var ghostGrads: Bool
    public var regCoefficient: Float
    /// TopK, BatchTopK, Matryoshka: select on pre ⊙ ‖W_dec[i]‖ (SAELens `rescale_acts_by_decoder_norm`).
    public var rescaleActsByDecoderNorm: Bool
    /// Matryoshka: AuxK per level (`MatryoshkaAuxKLoss`, SAELens `use_matryoshka_aux_loss`).
    public var matryoshkaAuxLoss: Bool
    /// JumpReLU: rectangle width of the straight-through estimator and the L0 loss coefficient.
    public var bandwidth: Float
    public var l0Coefficient: Float
    /// JumpReLU: the sparsity loss form and its target L0 (`quadratic`).
    public var jumpReLUSparsity: SAEJumpReLUSparsity
    public var targetL0: Float
    /// JumpReLU `tanh`: the scale inside the tanh.
    public var tanhScale: Float
    /// JumpReLU: the pre-activation loss coefficient (0 = off).
    public var preActLossCoefficient: Float
    /// JumpReLU: the straight-through estimators also reach the pre-activations.
    public var steToInput: Bool
    /// Matryoshka: the level widths, increasing, ending at d_sae (`SAETrainingConfig.matryoshkaLevels`).
    public var matryoshkaLevels: [Int]
    public var removeParallelGradient: Bool
    public var encoderChunkRows: Int

    /// The objective a training config describes, at its full L1 coefficient.
    public init(_ config: SAETrainingConfig) {
        architecture = config.architecture
        mseMode = config.mseMode
        l1Mode = config.l1Mode
        l1Coefficient = config.l1Coefficient
        k = config.k
        auxKCoefficient = config.auxKCoefficient
        ghostGrads = config.ghostGrads
        regCoefficient = config.regCoefficient
        rescaleActsByDecoderNorm = config.rescaleActsByDecoderNorm && config.architecture.usesK
        matryoshkaAuxLoss = config.useMatryoshkaAuxLoss && config.architecture == .matryoshka
        bandwidth = config.jumpReLUBandwidth
        l0Coefficient = config.l0Coefficient
        jumpReLUSparsity = config.jumpReLUSparsity
        targetL0 = config.targetL0
        tanhScale = config.jumpReLUTanhScale
        preActLossCoefficient = config.architecture == .jumprelu ? config.preActLossCoefficient ?? 0 : 0
        steToInput = config.architecture == .jumprelu && config.jumpReLUSTEToInput
        matryoshkaLevels = config.architecture == .matryoshka ? config.matryoshkaLevels : []
        removeParallelGradient = config.removeParallelGradient
        encoderChunkRows = config.encoderChunkRows
    }

    /// What one evaluation returns.
    public struct Result {
        public var terms: SAELossTerms
        /// (B, d_sae) the codes f.
        public var codes: SparseRows
        /// (B, d_in) x̂.
        public var reconstruction: Matrix
        /// Gradients of `terms.loss` (after the parallel-component removal), nil if not requested.
        public var gradients: SAEParameters?
        /// JumpReLU: ∂loss/∂θ (d_sae) through the straight-through estimator, when gradients are requested.
        public var thresholdGradient: [Float]? = nil
        /// Matryoshka: the inner levels' reconstruction losses, one per width but the last.
        public var innerMSE: [Float] = []
        /// BatchTopK and Matryoshka: the smallest selected code as selected — pre ⊙ ‖W_dec[i]‖ with
        /// the decoder-norm rescale, so not the smallest of `codes`, which are divided by the norms —
        /// which SAELens's running threshold follows (`update_topk_threshold`); nil without codes.
        public var smallestSelected: Float? = nil
    }

    /// Loss terms and (optionally) gradients for batch `x` (B, d_in).
    /// - Parameters:
    ///   - deadFeatures: increasing ids of dead features (ghost grads / AuxK act only if non-empty)
    ///   - previous: the anchor SAE for `regCoefficient > 0`
    ///   - threshold: JumpReLU's θ (d_sae), required for that architecture
    public func evaluate(_ p: SAEParameters, batch x: Matrix, deadFeatures: [Int32] = [],
                         previous: SAEParameters? = nil, threshold: [Float]? = nil, gradients wantGradients: Bool = true) -> Result {
        evaluate(p, batch: x, deadFeatures: deadFeatures, previous: previous, threshold: threshold,
                 gradients: wantGradients, workspace: nil)
    }

    /// The same, with reusable buffers: the trainer passes its workspace, and gradients come from
    /// and go back to it.
    package func evaluate(_ p: SAEParameters, batch x: Matrix, deadFeatures: [Int32] = [],
                          previous: SAEParameters? = nil, threshold: [Float]? = nil, gradients wantGradients: Bool = true,
                          workspace: SAEStepWorkspace?) -> Result {
        let (b, d, m) = (x.rows, p.dIn, p.dSAE)
        precondition(x.cols == d, "SAEObjective: batch has \(x.cols) columns, d_in is \(d)")
        let useGhost = architecture == .standard && ghostGrads && !deadFeatures.isEmpty
        let useAuxK = architecture.usesK && auxKCoefficient != 0 && !deadFeatures.isEmpty
        precondition(architecture != .jumprelu || threshold?.count == m, "SAEObjective: JumpReLU needs θ of d_sae entries")
        let activation: SAEActivation
        switch architecture {
        case .topk: activation = .topK(k)
        case .jumprelu: activation = .jumpReLU(threshold: threshold!)
        case .standard, .batchtopk, .matryoshka: activation = .relu
        }
        // Matryoshka's per-level AuxK selects from the gathered dead pre-activations instead.
        let useLevelAuxK = useAuxK && matryoshkaAuxLoss
        let kAux = useAuxK && !useLevelAuxK ? min(d / 2, deadFeatures.count) : 0
        let usePreAct = architecture == .jumprelu && preActLossCoefficient != 0 && !deadFeatures.isEmpty
        let jumpReLUNorms = architecture == .jumprelu && (usePreAct || jumpReLUSparsity == .tanh) ? p.decoderRowNorms() : []

        let saeIn = DecoderBiasInput.subtract(p.bDec, from: x)                 // (B, d) sae_in = x − b_dec
        // The decoder-norm rescale (TopK family): SAELens selects on h = pre ⊙ n (n_i = ‖W_dec[i]‖) and
        // decodes h ⊘ n, which is pre again at the selected entries: so the encoder runs with
        // W_encᵀ[i]·n_i and b_enc ⊙ n, and the codes (and AuxK's) are divided by n before decoding;
        // the gradients are then those of plain TopK at this selection (∂(h ⊘ n)/∂n = 0).
        var encoderT = p.wEncT, encoderBias = p.bEnc, norms: [Float] = []
        if rescaleActsByDecoderNorm {
            norms = p.decoderRowNorms()
            encoderT.withUnsafeMutableBufferPointer { w in
                for i in 0..<m { for j in 0..<d { w[i * d + j] *= norms[i] } }
            }
            for i in 0..<m { encoderBias[i] *= norms[i] }
        }
        var enc = SparseEncoder.encode(
            saeIn: saeIn, wEncT: encoderT, bEnc: encoderBias,
            activation: activation, chunkRows: encoderChunkRows,
            deadFeatures: deadFeatures, gatherDeadPre: useGhost || usePreAct || useLevelAuxK, auxK: kAux,
            batchTopK: architecture.selectsBatchTopK ? min(k * b, b * m) : 0,
            bandwidth: architecture == .jumprelu && wantGradients ? bandwidth : 0, workspace: workspace)
        let smallestSelected = architecture.selectsBatchTopK ? enc.codes.value.min() : nil
        if rescaleActsByDecoderNorm {
            for e in 0..<enc.codes.nnz { enc.codes.value[e] /= norms[Int(enc.codes.index[e])] }
            if var aux = enc.auxCodes {
                for e in 0..<aux.nnz { aux.value[e] /= norms[Int(aux.index[e])] }
                enc.auxCodes = aux
            }
        }
        let codes = enc.codes
        let columns = codes.columns()                                           // CSC view (decode, backward)
        // (B, d) x̂; Matryoshka: each inner level's x̂_h too, taken on the way ((G·B, d), last block scratch).
        var levelReconstructions = Matrix(uninitializedRows: matryoshkaLevels.count * b, cols: d)
        let xHat = SparseDecoder.decode(codes, columns: columns, wDec: p.wDec, bias: p.bDec,
                                        prefixEnds: Array(matryoshkaLevels.dropLast()), prefixes: &levelReconstructions)

        // Reconstruction error and the per-token MSE denominators, row-parallel; the per-row sums
        // are added in row order (Double), so the totals never depend on the thread count.
        var terms = SAELossTerms()
        var e = Matrix(uninitializedRows: b, cols: d)                           // (B, d) e = x̂ − x
        var denominators = [Float](repeating: 1, count: b)                      // ‖x_b − mean(x)‖₂
        var rowError = [Float](repeating: 0, count: b)                          // Σ_j e[b,j]²
        let mean = Self.columnMeans(x)
        x.withUnsafeBufferPointer { xb in
            xHat.withUnsafeBufferPointer { hb in
                e.withUnsafeMutableBufferPointer { eb in
                    denominators.withUnsafeMutableBufferPointer { den in
                        rowError.withUnsafeMutableBufferPointer { re in
                            mean.withUnsafeBufferPointer { mb in
                                let (xp, hp, ep, mp) = (xb.baseAddress!, hb.baseAddress!, eb.baseAddress!, mb.baseAddress!)
                                Parallel.forEachChunk(b, minChunk: 64) { rows in
                                    for r in rows {
                                        let (xr, hr, er) = (xp + r * d, hp + r * d, ep + r * d)
                                        for j in 0..<d { er[j] = hr[j] - xr[j] }
                                        den[r] = SIMDMath.squaredDistance(xr, mp, d)   // ‖x_b − mean‖², rooted below
                                        re[r] = SIMDMath.dot(er, er, d)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var sumSquaredError: Double = 0, sumCentredSquared: Double = 0, mseSum: Double = 0
        for r in 0..<b {
            let (e2, c2) = (rowError[r], denominators[r])
            denominators[r] = c2.squareRoot()
            sumSquaredError += Double(e2); sumCentredSquared += Double(c2)
            mseSum += mseMode == .saeTrack ? Double(e2 / denominators[r]) : Double(e2)
        }
        terms.mse = Float(mseMode == .saeTrack ? mseSum / Double(b * d) : mseSum / Double(b))
        terms.explainedVariance = Float(1 - sumSquaredError / max(sumCentredSquared, .leastNonzeroMagnitude))
        terms.l0 = Float(codes.meanRowCount)
        terms.deadCount = deadFeatures.count

        // Sparsity.
        let decoderNorms = l1Mode == .decoderNormWeighted ? p.decoderRowNorms() : []
        var featureSums = [Float](repeating: 0, count: m)                       // Σ_b f[b,i]
        for (i, v) in zip(codes.index, codes.value) { featureSums[Int(i)] += v }
        if architecture == .standard {
            var s: Double = 0
            for i in 0..<m { s += Double(l1Mode == .plain ? featureSums[i] : featureSums[i] * decoderNorms[i]) }
            terms.sparsity = Float(s / Double(b))
            terms.l1 = l1Coefficient * terms.sparsity
        }
        // JumpReLU: the sparsity loss (and what its gradient needs).
        var jumpReLUSparsityOutput: JumpReLUSparsityLoss.Output? = nil
        if architecture == .jumprelu {
            let out = JumpReLUSparsityLoss.forward(mode: jumpReLUSparsity, coefficient: l0Coefficient, targetL0: targetL0,
                                                   tanhScale: tanhScale, codes: codes, window: enc.thresholdWindow,
                                                   threshold: threshold!, decoderNorms: jumpReLUNorms)
            terms.sparsity = out.sparsity
            terms.l1 = l0Coefficient * out.sparsity
            jumpReLUSparsityOutput = out
        }

        // Upstream gradient Y = ∂MSE/∂x̂.                                        (B, d)
        var upstream = Matrix(uninitializedRows: b, cols: d)
        e.withUnsafeBufferPointer { eb in
            upstream.withUnsafeMutableBufferPointer { u in
                let (ep, up) = (eb.baseAddress!, u.baseAddress!)
                let saeTrack = mseMode == .saeTrack
                denominators.withUnsafeBufferPointer { den in
                    Parallel.forEachChunk(b, minChunk: 64) { rows in
                        for r in rows {
                            let scale: Float = saeTrack ? 2 / (Float(b * d) * den[r]) : 2 / Float(b)
                            for j in 0..<d { up[r * d + j] = scale * ep[r * d + j] }
                        }
                    }
                }
            }
        }

        // Matryoshka: the inner levels' losses, and per feature group the upstream of every level it enters.
        var innerMSE: [Float] = []
        var groupUpstream: MatryoshkaLoss.Output? = nil
        var innerReconstructions: Matrix? = nil
        if architecture == .matryoshka {
            // Per-level AuxK reads the inner x̂_h, which MatryoshkaLoss turns into upstreams in place.
            if useLevelAuxK { innerReconstructions = levelReconstructions.rows(0..<((matryoshkaLevels.count - 1) * b)) }
            let out = MatryoshkaLoss.apply(reconstructions: consume levelReconstructions, batch: x, levels: matryoshkaLevels,
                                           mseMode: mseMode, denominators: denominators, outerUpstream: upstream)
            innerMSE = out.innerLosses
            terms.innerMSE = innerMSE.reduce(0, +)
            if wantGradients { groupUpstream = out }
        }

        var grads: SAEParameters? = nil
        var thresholdGradient: [Float]? = nil
        if wantGradients {
            var g = workspace?.takeGradients(dIn: d, dSAE: m) ?? SAEParameters(zerosWithDIn: d, dSAE: m)
            var constants: [Float]? = nil
            if architecture == .standard {
                let base = l1Coefficient / Float(b)
                constants = l1Mode == .plain ? [Float](repeating: base, count: m) : decoderNorms.map { base * $0 }
            }
            SparseBackward.accumulate(codes: codes, columns: columns, upstream: groupUpstream?.upstream ?? upstream,
                                      saeIn: saeIn, wDec: p.wDec, featureConstant: constants, gradWDec: &g.wDec,
                                      gradWEncT: &g.wEncT, gradBEnc: &g.bEnc, overwrite: true,
                                      upstreamGroupEnds: groupUpstream == nil ? nil : matryoshkaLevels)
            if architecture == .standard && l1Mode == .decoderNormWeighted {
                // ∂/∂W_dec[i] of l1/B·‖W_dec[i]‖·Σ_b f[b,i] = l1/B·Σ_b f[b,i] · W_dec[i]/‖W_dec[i]‖
                let base = l1Coefficient / Float(b)
                g.wDec.withUnsafeMutableBufferPointer { gd in
                    p.wDec.withUnsafeBufferPointer { w in
                        for i in 0..<m where featureSums[i] != 0 {
                            SIMDMath.axpy(base * featureSums[i] / decoderNorms[i], w.baseAddress! + i * d,
                                           gd.baseAddress! + i * d, d)
                        }
                    }
                }
            }
            if let sparsity = jumpReLUSparsityOutput {
                let out = jumpReLUBackward(sparsity: sparsity, codes: codes, window: enc.thresholdWindow, threshold: threshold!,
                                           upstream: upstream, saeIn: saeIn, wDec: p.wDec, decoderNorms: jumpReLUNorms,
                                           deadFeatures: usePreAct ? deadFeatures : [], deadPre: enc.deadPre, gradients: &g)
                thresholdGradient = out.threshold
                terms.preAct = out.preAct
            }
            if useGhost, let deadPre = enc.deadPre {
                terms.ghost = GhostGrads.apply(deadFeatures: deadFeatures, deadPre: deadPre, error: e,
                                               denominators: denominators, saeIn: saeIn, wDec: p.wDec,
                                               gradients: &g)
            }
            if useLevelAuxK, let deadPre = enc.deadPre, let inner = innerReconstructions {
                terms.auxK = MatryoshkaAuxKLoss.apply(innerReconstructions: inner, deadFeatures: deadFeatures, deadPre: deadPre,
                                                      levels: matryoshkaLevels, norms: norms, coefficient: auxKCoefficient,
                                                      batch: x, error: e, saeIn: saeIn, wDec: p.wDec, gradients: &g)
            } else if useAuxK, let aux = enc.auxCodes {
                terms.auxK = AuxKLoss.apply(auxCodes: aux, kAux: kAux, deadCount: deadFeatures.count,
                                            coefficient: auxKCoefficient, error: e, saeIn: saeIn,
                                            wDec: p.wDec, gradients: &g)
            }
            // db_dec = Σ_b Y[b] − W_enc·db_enc   (through x̂'s bias and through sae_in = x − b_dec)
            let upstreamSums = Self.columnSums(groupUpstream?.total ?? upstream)
            for j in 0..<d { g.bDec[j] = Float(upstreamSums[j]) }
            p.wEncT.withUnsafeBufferPointer { w in
                g.bEnc.withUnsafeBufferPointer { gb in
                    g.bDec.withUnsafeMutableBufferPointer { gbd in
                        // (1, d) −= (1, d_sae)·(d_sae, d): as a GEMM so it is split over the threads.
                        BLAS.gemm(.none, .none, m: 1, n: d, k: m, alpha: -1, a: gb.baseAddress!, lda: m,
                                  b: w.baseAddress!, ldb: d, beta: 1, c: gbd.baseAddress!, ldc: d)
                    }
                }
            }
            if regCoefficient != 0, let prev = previous {
                terms.reg = regCoefficient * AnchorRegularisation.apply(p, previous: prev, coefficient: regCoefficient, gradients: &g)
            }
            if removeParallelGradient { Self.removeParallelComponent(&g.wDec, decoder: p.wDec) }
            grads = g
        } else {
            if usePreAct, let deadPre = enc.deadPre {
                terms.preAct = PreActivationLoss.forward(coefficient: preActLossCoefficient, deadFeatures: deadFeatures,
                                                         deadPre: deadPre, threshold: threshold!, decoderNorms: jumpReLUNorms).loss
            }
            if useGhost, let deadPre = enc.deadPre {
                var scratch = SAEParameters(zerosWithDIn: d, dSAE: m)
                terms.ghost = GhostGrads.apply(deadFeatures: deadFeatures, deadPre: deadPre, error: e,
                                               denominators: denominators, saeIn: saeIn, wDec: p.wDec,
                                               gradients: &scratch)
            }
            if regCoefficient != 0, let prev = previous {
                var scratch = SAEParameters(zerosWithDIn: d, dSAE: m)
                terms.reg = regCoefficient * AnchorRegularisation.apply(p, previous: prev, coefficient: regCoefficient, gradients: &scratch)
            }
        }
        terms.loss = terms.mse + terms.innerMSE + terms.l1 + terms.ghost + terms.auxK + terms.preAct + terms.reg
        return Result(terms: terms, codes: codes, reconstruction: xHat, gradients: grads, thresholdGradient: thresholdGradient,
                      innerMSE: innerMSE, smallestSelected: smallestSelected)
    }

    /// g_i ← g_i − (g_i·w_i) w_i for every decoder row (assumes unit rows, as SAE-Track does).
    public static func removeParallelComponent(_ grad: inout Matrix, decoder w: Matrix) {
        let (m, d) = (w.rows, w.cols)
        grad.withUnsafeMutableBufferPointer { g in
            w.withUnsafeBufferPointer { wb in
                let (gb, wp) = (g.baseAddress!, wb.baseAddress!)
                Parallel.forEachChunk(m, minChunk: 256) { range in
                    for i in range {
                        let gi = gb + i * d, wi = wp + i * d
                        let proj = SIMDMath.dot(gi, wi, d)
                        if proj != 0 { SIMDMath.axpy(-proj, wi, gi, d) }
                    }
                }
            }
        }
    }

    /// Per-column mean of x (B, d) → (d), accumulated in Double.
    static func columnMeans(_ x: Matrix) -> [Float] {
        let n = Double(max(x.rows, 1))
        return columnSums(x).map { Float($0 / n) }
    }

    /// Per-column sums of x (B, d) → (d) in Double, rows added in order; parallel over column
    /// blocks, so the result never depends on the thread count.
    static func columnSums(_ x: Matrix) -> [Double] {
        let (b, d) = (x.rows, x.cols)
        var acc = [Double](repeating: 0, count: d)
        x.withUnsafeBufferPointer { xb in
            acc.withUnsafeMutableBufferPointer { a in
                let (xp, ap) = (xb.baseAddress!, a.baseAddress!)
                Parallel.forEachChunk(d, minChunk: 64) { cols in
                    for r in 0..<b {
                        let row = xp + r * d
                        for j in cols { ap[j] += Double(row[j]) }
                    }
                }
            }
        }
        return acc
    }
}
