import Foundation

/// The sgemm throughput harness behind `saetrack bench gemm`.
///
/// For each shape and thread count it times the Swift wrapper
/// (``BLAS/gemm(_:transposeA:_:transposeB:alpha:beta:into:)``) and the same OpenBLAS call made
/// from C, interleaved trial by trial (alternating which goes first) on the same buffers, and keeps
/// the best trial of each, so background load on a shared machine hurts both sides alike. Each
/// result is also expressed as a percentage of the machine's FP32 FMA peak measured in the same run.
///
/// Every rate is reported twice: GFLOP/s by wall-clock time, and GFLOP per CPU-second (FLOPs /
/// process CPU seconds, i.e. per core), compared with the FMA peak per core. On an idle machine
/// the CPU rate times the thread count matches the wall rate; on a shared one the CPU rates still
/// measure the code rather than the neighbours. (A BLAS call that uses fewer threads than allowed
/// shows a good CPU rate and a poor wall rate.)
///
/// The C baselines live in the `CGEMMBench` target, which this module cannot depend on, so they
/// are passed in: see ``CBaselines``.
public struct GEMMBenchmark {
    /// The C side of the comparison.
    public struct CBaselines {
        /// Calls the same sgemm from C `repeats` times on packed operands (A, B, C) and returns
        /// the wall and process CPU seconds taken.
        public var sgemm: (_ shape: GEMMShape, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                           _ c: UnsafeMutablePointer<Float>, _ repeats: Int) -> Stopwatch.Span
        /// Runs the FMA loop for `iterations` on `threads` threads together and returns the FP32
        /// GFLOP/s by wall clock (all threads) and per CPU-second (per core), negative when it
        /// cannot be measured.
        public var fmaPeak: (_ threads: Int, _ iterations: Int) -> GEMMBenchmarkReport.Rate
        /// FP32 lanes of that FMA loop: 16 with AVX-512, 8 with AVX2, 0 when it cannot run.
        public var fmaLanes: Int

        public init(
            sgemm: @escaping (GEMMShape, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Stopwatch.Span,
            fmaPeak: @escaping (Int, Int) -> GEMMBenchmarkReport.Rate,
            fmaLanes: Int = 8
        ) {
            self.sgemm = sgemm
            self.fmaPeak = fmaPeak
            self.fmaLanes = fmaLanes
        }
    }

    /// What to measure and for how long.
    public struct Configuration: Codable, Sendable {
        public var shapes: [GEMMShape]
        /// Thread counts to run every shape on (BLAS threads, set through ``Threads``).
        public var threadCounts: [Int]
        /// Interleaved Swift/C trials per measurement; the best of each side is kept.
        public var trials: Int
        /// Each trial repeats the product until it takes at least this long.
        public var minSecondsPerTrial: Double
        /// Iterations of the FMA loop per peak trial (per thread: 768 FLOPs an iteration with
        /// AVX-512, 192 with AVX2).
        public var peakIterations: Int
        /// Peak trials per thread count, half before and half after the products; the best is kept.
        /// Many short trials find an undisturbed window on a busy machine.
        public var peakTrials: Int

        enum CodingKeys: String, CodingKey {
            case shapes, trials
            case threadCounts = "thread_counts", minSecondsPerTrial = "min_seconds_per_trial"
            case peakIterations = "peak_iterations", peakTrials = "peak_trials"
        }

        public init(shapes: [GEMMShape], threadCounts: [Int], trials: Int, minSecondsPerTrial: Double,
                    peakIterations: Int, peakTrials: Int) {
            self.shapes = shapes
            self.threadCounts = threadCounts
            self.trials = trials
            self.minSecondsPerTrial = minSecondsPerTrial
            self.peakIterations = peakIterations
            self.peakTrials = peakTrials
        }

        /// 1 thread and every core.
        public static var defaultThreadCounts: [Int] {
            let all = ProcessInfo.processInfo.activeProcessorCount
            return all > 1 ? [1, all] : [1]
        }

        /// The full run: squares 256…2048 and the SAE step at tokens 4096 × d_in 768 × d_sae 24576.
        public static func full(threadCounts: [Int] = defaultThreadCounts) -> Configuration {
            Configuration(
                shapes: GEMMShape.squares([256, 512, 1024, 2048])
                    + GEMMShape.sparseAutoencoderStep(tokens: 4096, dIn: 768, dSAE: 24576),
                threadCounts: threadCounts, trials: 5, minSecondsPerTrial: 0.25,
                peakIterations: 20_000_000, peakTrials: 20)
        }

        /// A smoke test that finishes in a couple of seconds: small squares and a scaled-down SAE step.
        public static func quick(threadCounts: [Int] = defaultThreadCounts) -> Configuration {
            Configuration(
                shapes: GEMMShape.squares([64, 128, 256])
                    + GEMMShape.sparseAutoencoderStep(tokens: 256, dIn: 64, dSAE: 512),
                threadCounts: threadCounts, trials: 2, minSecondsPerTrial: 0.01,
                peakIterations: 2_000_000, peakTrials: 4)
        }
    }

    public var configuration: Configuration
    public var baselines: CBaselines

    public init(configuration: Configuration, baselines: CBaselines) {
        self.configuration = configuration
        self.baselines = baselines
    }

    /// Runs every measurement and returns the report. `progress` receives one line per step
    /// (for stderr). Each thread count holds only inside its own measurement (`Threads.withCount(_:_:)`).
    public func run(progress: (String) -> Void = { _ in }) -> GEMMBenchmarkReport {
        let config = configuration

        let loadBefore = Self.loadAverage()
        var peaks = measurePeaks(trials: (config.peakTrials + 1) / 2, previous: nil, progress: progress)

        var results: [GEMMBenchmarkReport.Result] = []
        var rng = SeededRandom(seed: 2024)
        for shape in config.shapes {
            var a = Matrix(rows: shape.aShape.rows, cols: shape.aShape.cols)   // op(A) (m, k)
            var b = Matrix(rows: shape.bShape.rows, cols: shape.bShape.cols)   // op(B) (k, n)
            var c = Matrix(rows: shape.m, cols: shape.n)                       // (m, n)
            a.withUnsafeMutableBufferPointer { rng.fillUniform($0, -1, 1) }
            b.withUnsafeMutableBufferPointer { rng.fillUniform($0, -1, 1) }
            for threads in config.threadCounts {
                let (swift, cCall, repeats) = Threads.withCount(threads) {
                    measure(shape, threads: threads, a: a, b: b, c: &c)
                }
                let row = GEMMBenchmarkReport.Result(
                    shape: shape, threads: threads, repeats: repeats, swift: swift, c: cCall,
                    peak: peaks.first { $0.threads == threads }?.rate ?? .init(wall: .nan, cpu: .nan))
                progress("\(shape.name) (\(shape.m)×\(shape.n)×\(shape.k) \(shape.transposeCode)) on \(threads) thread(s): "
                         + "Swift \(Self.format(swift.wall, 1)) / C \(Self.format(cCall.wall, 1)) GFLOP/s wall, "
                         + "\(Self.format(swift.cpu, 1)) / \(Self.format(cCall.cpu, 1)) per CPU-second")
                results.append(row)
            }
        }
        // The rest of the peak trials; the percentages use the best peak seen in the whole run.
        peaks = measurePeaks(trials: config.peakTrials / 2, previous: peaks, progress: progress)
        for i in results.indices {
            results[i].peak = peaks.first { $0.threads == results[i].threads }?.rate ?? .init(wall: .nan, cpu: .nan)
        }
        return GEMMBenchmarkReport(
            date: ISO8601DateFormatter().string(from: Date()), blasConfig: Threads.blasConfig,
            processors: ProcessInfo.processInfo.activeProcessorCount,
            loadAverageBefore: loadBefore, loadAverageAfter: Self.loadAverage(),
            kernel: BLASKernel.status, fmaLanes: baselines.fmaLanes,
            configuration: config, peaks: peaks, results: results)
    }

    /// Best FMA peak per thread count over `trials` more trials (and `previous`, when given).
    private func measurePeaks(
        trials: Int, previous: [GEMMBenchmarkReport.Peak]?, progress: (String) -> Void
    ) -> [GEMMBenchmarkReport.Peak] {
        configuration.threadCounts.map { threads in
            var best = previous?.first { $0.threads == threads }?.rate ?? .init(wall: -.infinity, cpu: -.infinity)
            for _ in 0..<trials { best = best.best(baselines.fmaPeak(threads, configuration.peakIterations)) }
            progress("FMA peak on \(threads) thread(s), best so far: \(Self.format(best.wall, 1)) GFLOP/s wall, "
                     + "\(Self.format(best.cpu, 1)) per CPU-second")
            return GEMMBenchmarkReport.Peak(threads: threads, rate: best)
        }
    }

    /// Times one shape on the current thread count; returns the best rates of each side.
    private func measure(_ shape: GEMMShape, threads: Int, a: Matrix, b: Matrix, c: inout Matrix)
        -> (swift: GEMMBenchmarkReport.Rate, c: GEMMBenchmarkReport.Rate, repeats: Int)
    {
        let config = configuration
        let cCall = baselines.sgemm
        func swiftSpan(_ repeats: Int, _ c: inout Matrix) -> Stopwatch.Span {
            Stopwatch.measure {
                for _ in 0..<repeats {
                    BLAS.gemm(a, transposeA: shape.transposeA, b, transposeB: shape.transposeB, into: &c)
                }
            }
        }
        func cSpan(_ repeats: Int, _ c: inout Matrix) -> Stopwatch.Span {
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        cCall(shape, pa.baseAddress!, pb.baseAddress!, pc.baseAddress!, repeats)
                    }
                }
            }
        }
        // Warm up both paths (page faults, OpenBLAS buffers), then size the trials from the timing.
        _ = cSpan(1, &c)
        let once = swiftSpan(1, &c).wallSeconds
        let repeats = max(1, Int((config.minSecondsPerTrial / max(once, 1e-9)).rounded(.up)))
        let gflop = shape.flops * Double(repeats) * 1e-9
        func rate(_ span: Stopwatch.Span) -> GEMMBenchmarkReport.Rate {
            .init(wall: gflop / span.wallSeconds, cpu: gflop / span.cpuSeconds)
        }
        var bestSwift = GEMMBenchmarkReport.Rate(wall: 0, cpu: 0), bestC = bestSwift
        for trial in 0..<max(1, config.trials) {
            if trial % 2 == 0 {
                bestSwift = bestSwift.best(rate(swiftSpan(repeats, &c)))
                bestC = bestC.best(rate(cSpan(repeats, &c)))
            } else {
                bestC = bestC.best(rate(cSpan(repeats, &c)))
                bestSwift = bestSwift.best(rate(swiftSpan(repeats, &c)))
            }
        }
        return (bestSwift, bestC, repeats)
    }

    /// The 1-minute load average from /proc/loadavg (nil where it does not exist).
    static func loadAverage() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
              let first = text.split(separator: " ").first else { return nil }
        return Double(first)
    }

    static func format(_ x: Double, _ decimals: Int) -> String {
        x.isFinite ? String(format: "%.\(decimals)f", x) : "n/a"
    }
}
