import Foundation
import SAETrackCore
import SAETrackIO

/// Times one SAE training step against the dense encoder GEMM alone, on seeded synthetic activations
/// whose initial L0 is calibrated to a target: `standard` is ReLU + the SAE-Track loss (targets in
/// Docs/Performance.md); `topk` / `batchtopk` / `matryoshka` (k = the target L0; Matryoshka widths
/// ``matryoshkaWidths(dSAE:)``) and `jumprelu` (θ starting at 10⁻³) use SAELens's
/// form of the step (Σ_j MSE, free decoder rows, no parallel-gradient removal), as compare_sae.py's
/// SAELens contender does, with gradient-norm clipping where `--clip-grad-norm auto` gives it (JumpReLU).
///
/// The activations and the initial SAE can be exported so `Benchmarks/compare_sae.py` trains SAELens
/// (and a plain torch transcription of SAE-Track's step) from exactly the same start.
package struct SAEStepBenchmark {
    package struct Configuration: Codable, Sendable {
        package var dIn = 768
        package var dSAE = 24576
        package var batchSize = 4096
        package var targetL0 = 64
        /// Timed training steps (after one untimed warm-up step).
        package var steps = 5
        /// Timed encoder GEMMs (best kept).
        package var gemmTrials = 3
        /// Rows per encoder GEMM in the trainer's chunked path (`SAETrainingConfig.encoderChunkRows`;
        /// the ReLU step without ghost grads, timed here, uses feature blocks instead).
        package var encoderChunkRows = 4096
        package var seed: UInt64 = 0
        /// Which SAE's step is timed.
        @DecodedDefault<TrainingDefaults.Architecture> package var architecture: SAEArchitecture
        package init() {}

        enum CodingKeys: String, CodingKey {
            case dIn = "d_in", dSAE = "d_sae", batchSize = "batch_size", targetL0 = "target_l0", steps
            case gemmTrials = "gemm_trials", seed, encoderChunkRows = "encoder_chunk_rows", architecture
        }
    }

    /// What the harness measured.
    package struct Report: Codable, Sendable {
        package var configuration: Configuration
        package var threads: Int
        /// Best dense encoder GEMM (B, d_in)·(d_in, d_sae), seconds.
        package var encoderGEMMSeconds: Double
        package var encoderGEMMGFLOPs: Double
        /// Mean full training step, seconds.
        package var stepSeconds: Double
        package var tokensPerSecond: Double
        /// stepSeconds / encoderGEMMSeconds (targets: ≤ 1.3 for standard, ≤ 1.2 for the others).
        package var stepOverGEMM: Double
        /// The same in process CPU seconds (all threads): meaningful when other work shares the cores.
        package var encoderGEMMCPUSeconds: Double
        package var stepCPUSeconds: Double
        package var tokensPerCPUSecond: Double
        package var stepOverGEMMCPU: Double
        /// L0 of the first and last timed step.
        package var l0First: Float
        package var l0Last: Float
        /// Peak resident set size of the process (VmHWM), bytes.
        package var peakResidentBytes: Int
        /// What the harness itself holds (all steps' activations, one batch copy, the initial SAE), bytes.
        package var harnessInputBytes: Int
        /// Parameters + gradients + Adam moments + batch buffers, bytes (the ≤ 1.2× memory target's base).
        package var modelStateBytes: Int
        /// One timing of each phase of a step (seconds).
        package var phaseSeconds: [String: Double]

        enum CodingKeys: String, CodingKey {
            case configuration, threads
            case encoderGEMMSeconds = "encoder_gemm_seconds", encoderGEMMGFLOPs = "encoder_gemm_gflops"
            case stepSeconds = "step_seconds", tokensPerSecond = "tokens_per_second", stepOverGEMM = "step_over_gemm"
            case encoderGEMMCPUSeconds = "encoder_gemm_cpu_seconds", stepCPUSeconds = "step_cpu_seconds"
            case tokensPerCPUSecond = "tokens_per_cpu_second", stepOverGEMMCPU = "step_over_gemm_cpu"
            case l0First = "l0_first", l0Last = "l0_last", peakResidentBytes = "peak_resident_bytes"
            case modelStateBytes = "model_state_bytes", phaseSeconds = "phase_seconds"
            case harnessInputBytes = "harness_input_bytes"
        }
    }

    package var configuration: Configuration
    package init(configuration: Configuration) { self.configuration = configuration }

    /// Seeded activations (rows: batchSize · (steps + 1)) and an initial SAE whose b_enc makes about
    /// `targetL0` features fire per token: b_enc[i] = −z·std(pre[:, i]) with P(N(0,1) > z) = L0/d_sae.
    package func makeInputs() -> (activations: Matrix, sae: SparseAutoencoder) {
        let c = configuration
        var rng = SeededRandom(seed: c.seed)
        var x = Matrix(rows: c.batchSize * (c.steps + 1), cols: c.dIn)
        x.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        var p = SAEParameters.kaimingUniform(dIn: c.dIn, dSAE: c.dSAE, seed: c.seed &+ 1)
        // std of pre[:, i] for unit-normal x is ‖W_enc[:, i]‖ = ‖W_encᵀ[i]‖.
        let z = Self.normalQuantile(1 - Double(c.targetL0) / Double(c.dSAE))
        p.wEncT.withUnsafeBufferPointer { w in
            for i in 0..<c.dSAE {
                let row = w.baseAddress! + i * c.dIn
                p.bEnc[i] = -Float(z) * SIMDMath.dot(row, row, c.dIn).squareRoot()
            }
        }
        return (x, p.autoencoder())
    }

    /// Writes `activations.safetensors` (`activations` [N, d_in]) and `sae_init/` tensors for compare_sae.py.
    package func export(_ inputs: (activations: Matrix, sae: SparseAutoencoder), to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try SafetensorsWriter.write(["activations": TensorData(inputs.activations)],
                                    to: directory.appendingPathComponent("activations.safetensors"))
        let s = inputs.sae
        try SafetensorsWriter.write([
            "W_enc": TensorData(s.wEnc), "b_enc": TensorData(shape: [s.dSAE], floats: s.bEnc),
            "W_dec": TensorData(s.wDec), "b_dec": TensorData(shape: [s.dIn], floats: s.bDec),
        ], to: directory.appendingPathComponent("sae_init.safetensors"))
    }

    /// Runs the harness; `log` receives progress lines.
    package func run(inputs: (activations: Matrix, sae: SparseAutoencoder), log: (String) -> Void) throws -> Report {
        let c = configuration
        // Dense encoder GEMM alone: (B, d_in) · (d_in, d_sae).
        let p = SAEParameters(inputs.sae)
        let xb = inputs.activations.rows(0..<c.batchSize)
        var pre = Matrix(rows: c.batchSize, cols: c.dSAE)
        var best = Double.infinity, bestCPU = Double.infinity
        for t in 0..<max(1, c.gemmTrials) {
            let span = Stopwatch.measure {
                xb.withUnsafeBufferPointer { a in p.wEncT.withUnsafeBufferPointer { w in pre.withUnsafeMutableBufferPointer { o in
                    BLAS.gemm(.none, .transposed, m: c.batchSize, n: c.dSAE, k: c.dIn, a: a.baseAddress!, lda: c.dIn,
                              b: w.baseAddress!, ldb: c.dIn, c: o.baseAddress!, ldc: c.dSAE)
                } } }
            }
            best = min(best, span.wallSeconds); bestCPU = min(bestCPU, span.cpuSeconds)
            log(String(format: "encoder GEMM trial %d: %.3f s (%.3f CPU s)", t + 1, span.wallSeconds, span.cpuSeconds))
        }
        pre = Matrix(rows: 0, cols: 0)
        let flops = 2 * Double(c.batchSize) * Double(c.dIn) * Double(c.dSAE)

        var config = SAETrainingConfig(dIn: c.dIn, dSAE: c.dSAE, steps: c.steps + 1)
        config.batchSize = c.batchSize
        config.lr = 4e-4
        config.warmupSteps = 1
        config.ghostGrads = false
        config.logEvery = 0
        config.encoderChunkRows = c.encoderChunkRows
        config.architecture = c.architecture
        config.k = c.targetL0
        config.jumpReLUInitThreshold = 1e-3
        if c.architecture == .matryoshka { config.matryoshkaWidths = Self.matryoshkaWidths(dSAE: c.dSAE) }
        if c.architecture != .standard {
            config.mseMode = .saeLens; config.decoderNormMode = .free; config.removeParallelGradient = false
        }
        // Gradient clipping where `--clip-grad-norm auto` gives it (JumpReLU: 1, as SAELens's trainer).
        config.clipGradNorm = SAEInitChoices.automatic(architecture: c.architecture, mseMode: config.mseMode).clipGradNorm
        let trainer = try SAETrainer(config: config, initial: inputs.sae,
                                     source: SequentialActivations(inputs.activations))
        let warm = try trainer.trainStep()
        log(String(format: "warm-up step: L0 %.1f", warm.l0))
        var total = 0.0, totalCPU = 0.0
        var first: Float = 0, last: Float = 0
        for s in 0..<c.steps {
            var terms = SAELossTerms()
            let span = try Stopwatch.measure { terms = try trainer.trainStep() }
            let t = span.wallSeconds
            total += t; totalCPU += span.cpuSeconds
            if s == 0 { first = terms.l0 }
            last = terms.l0
            log(String(format: "step %d/%d: %.3f s (%.3f CPU s)  L0 %.1f  loss %.5f", s + 1, c.steps, t, span.cpuSeconds,
                       terms.l0, terms.loss))
        }
        let step = total / Double(max(c.steps, 1)), stepCPU = totalCPU / Double(max(c.steps, 1))
        let peak = Self.peakResidentBytes()
        let phases = Self.profilePhases(trainer.parameters, batch: xb, config: config,
                                        threshold: trainer.threshold, log: log)
        let params = 2 * c.dSAE * c.dIn + c.dSAE + c.dIn
        // The ReLU step keeps a (rows per thread, featureBlock) pre-activation block per thread.
        let batchBuffers = 5 * c.batchSize * c.dIn + c.batchSize * min(SparseEncoder.featureBlock, c.dSAE)
        return Report(configuration: c, threads: Threads.count, encoderGEMMSeconds: best,
                      encoderGEMMGFLOPs: flops / best / 1e9, stepSeconds: step,
                      tokensPerSecond: Double(c.batchSize) / step, stepOverGEMM: step / best,
                      encoderGEMMCPUSeconds: bestCPU, stepCPUSeconds: stepCPU,
                      tokensPerCPUSecond: Double(c.batchSize) / stepCPU, stepOverGEMMCPU: stepCPU / bestCPU,
                      l0First: first, l0Last: last, peakResidentBytes: peak,
                      harnessInputBytes: 4 * (inputs.activations.count + xb.count + 2 * c.dSAE * c.dIn + c.dSAE + c.dIn),
                      modelStateBytes: 4 * (4 * params + batchBuffers), phaseSeconds: phases)
    }

    /// Matryoshka's level widths in the harness (and in compare_sae.py's SAELens contender):
    /// d_sae/8, d_sae/4, d_sae/2, d_sae.
    package static func matryoshkaWidths(dSAE: Int) -> [Int] {
        var widths: [Int] = []
        for w in [dSAE / 8, dSAE / 4, dSAE / 2, dSAE] where w > (widths.last ?? 0) { widths.append(w) }
        return widths
    }

    /// Times each phase of a step once on `batch` (after the timed steps): where the time goes.
    /// The kernels are the trainer's, called as `SAEObjective` calls them for `config.architecture`.
    static func profilePhases(_ p: SAEParameters, batch x: Matrix, config: SAETrainingConfig, threshold: [Float],
                              log: (String) -> Void) -> [String: Double] {
        var out: [String: Double] = [:]
        let (b, d, m) = (x.rows, p.dIn, p.dSAE)
        let arch = config.architecture
        let activation: SAEActivation
        switch arch {
        case .topk: activation = .topK(config.k)
        case .jumprelu: activation = .jumpReLU(threshold: threshold)
        case .standard, .batchtopk, .matryoshka: activation = .relu
        }
        let batchTopK = arch.selectsBatchTopK ? min(config.k * b, b * m) : 0
        let bandwidth: Float = arch == .jumprelu ? config.jumpReLUBandwidth : 0
        var saeIn = x
        out["sae_in = x − b_dec"] = Stopwatch.time { saeIn = DecoderBiasInput.subtract(p.bDec, from: x) }
        let ws = SAEStepWorkspace()
        func encode() -> SparseEncoder.Output {
            SparseEncoder.encode(saeIn: saeIn, wEncT: p.wEncT, bEnc: p.bEnc, activation: activation,
                                 chunkRows: config.encoderChunkRows, batchTopK: batchTopK, bandwidth: bandwidth, workspace: ws)
        }
        var enc = encode()
        out["encode (GEMM + selection)"] = Stopwatch.time { enc = encode() }
        // The same feature-block GEMMs with a gate nothing passes: what the blocking itself costs
        // against the one dense GEMM, apart from any selection (a 16-lane compare per entry remains).
        let closed = [Float](repeating: .infinity, count: m)
        out["encode's block GEMMs (+ a gate nothing passes)"] = Stopwatch.time {
            _ = SparseEncoder.encodeInCache(saeIn: saeIn, wEncT: p.wEncT, bEnc: p.bEnc, selection: .gate(closed), workspace: ws)
        }
        let codes = enc.codes
        var cols = codes.columns()
        out["CSR → CSC"] = Stopwatch.time { cols = codes.columns() }
        var xHat = Matrix(rows: 0, cols: 0)
        let levels = arch == .matryoshka ? config.matryoshkaLevels : []
        var reconstructions = Matrix(rows: levels.count * b, cols: d)
        out[arch == .matryoshka ? "decode (sparse, feature-major, inner levels too)" : "decode (sparse, feature-major)"] =
            Stopwatch.time {
                xHat = SparseDecoder.decode(codes, columns: cols, wDec: p.wDec, bias: p.bDec,
                                            prefixEnds: Array(levels.dropLast()), prefixes: &reconstructions)
            }
        var upstream = xHat                                                    // stands in for ∂L/∂x̂
        var groupEnds: [Int]? = nil
        if arch == .matryoshka {
            out["Matryoshka inner levels (losses + upstream)"] = Stopwatch.time {
                upstream = MatryoshkaLoss.apply(reconstructions: reconstructions, batch: x, levels: levels,
                                                mseMode: config.mseMode, denominators: [Float](repeating: 1, count: b),
                                                outerUpstream: xHat).upstream
            }
            groupEnds = levels
        }
        var g = SAEParameters(zerosWithDIn: d, dSAE: m)
        out["backward (sparse dW_dec, dW_enc, db_enc)"] = Stopwatch.time {
            SparseBackward.accumulate(codes: codes, columns: cols, upstream: upstream, saeIn: saeIn, wDec: p.wDec,
                                      featureConstant: nil, gradWDec: &g.wDec, gradWEncT: &g.wEncT, gradBEnc: &g.bEnc,
                                      overwrite: true, upstreamGroupEnds: groupEnds)
        }
        if arch == .jumprelu, let window = enc.thresholdWindow {
            out["JumpReLU θ gradient (straight-through window)"] = Stopwatch.time {
                _ = JumpReLUThresholdGradient.compute(window: window, threshold: threshold, upstream: xHat, wDec: p.wDec,
                                                      bandwidth: bandwidth, rowL0Coefficient: [Float](repeating: 1, count: b))
            }
        }
        if let maxNorm = config.clipGradNorm {
            out["gradient-norm clipping (norm; Adam applies the factor)"] = Stopwatch.time {
                _ = GradientClipping.factor(g, threshold: threshold, maxNorm: maxNorm)
            }
        }
        if config.removeParallelGradient {
            out["parallel-gradient removal"] = Stopwatch.time { SAEObjective.removeParallelComponent(&g.wDec, decoder: p.wDec) }
        }
        var q = p
        var adam = Adam(dIn: d, dSAE: m)
        adam.update(&q, gradients: g, lr: 1e-4)
        let unit = config.decoderNormMode == .unitNorm
        out[unit ? "Adam (dense, decoder rows renormalised)" : "Adam (dense)"] = Stopwatch.time {
            adam.update(&q, gradients: g, lr: 1e-4, normaliseDecoderRows: unit)
        }
        for (k, v) in out.sorted(by: { $0.value > $1.value }) { log(String(format: "phase %-48@ %.3f s", k as NSString, v)) }
        return out
    }

    /// VmHWM from /proc/self/status (0 where unavailable).
    package static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kb * 1024
        }
        return 0
    }

    /// Φ⁻¹(p) by bisection on erfc (plenty accurate for a threshold).
    static func normalQuantile(_ p: Double) -> Double {
        var lo = -10.0, hi = 10.0
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if 0.5 * erfc(-mid / 2.0.squareRoot()) < p { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}

/// Rows of a matrix in order, no shuffling (benchmarks and tests).
package struct SequentialActivations: ActivationSource {
    package let activations: Matrix
    package private(set) var offset = 0
    package var dIn: Int { activations.cols }
    package init(_ activations: Matrix) { self.activations = activations }
    package mutating func nextBatch(_ n: Int) throws -> Matrix {
        guard offset + n <= activations.rows else {
            throw SAETrainingError.sourceExhausted("asked for rows \(offset)..<\(offset + n) of \(activations.rows)")
        }
        defer { offset += n }
        return activations.rows(offset..<(offset + n))
    }
}
