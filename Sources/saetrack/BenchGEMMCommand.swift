import ArgumentParser
import CGEMMBench
import Foundation
import SAETrack

/// `saetrack bench gemm`: sgemm GFLOP/s through the Swift wrapper and from C, against the FMA peak.
struct BenchGEMMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "sgemm GFLOP/s (square 256…2048 and the SAE step shapes) on 1 thread and all cores.",
        discussion: """
            Prints which OpenBLAS kernel family runs and why, measures the machine's FP32 peak with an FMA \
            loop of the widest FMA the CPU has (AVX-512 where present, else AVX2), then times each product through \
            SAETrack's Swift BLAS wrapper and through the same cblas_sgemm called from C, interleaved, \
            keeping the best trial of each. On one thread both sides make the same OpenBLAS call (the \
            wrapper's overhead); on more, SAETrack splits the product over its own pool while the C \
            side uses OpenBLAS's threads. Rates are given by wall clock and by CPU time (FLOPs × \
            threads / process CPU seconds), which stays meaningful when other work shares the cores. \
            Prints a table on stdout, progress on stderr.
            """
    )

    @Option(name: .long, help: "Also write the results as JSON to this file.")
    var json: String?

    @Flag(name: .long, help: "Small sizes and short trials: a smoke test of a few seconds.")
    var quick = false

    @Option(name: .long, parsing: .upToNextOption,
            help: "Thread counts to run (default: 1 and every core).")
    var threads: [Int] = []

    @Option(name: .long, parsing: .upToNextOption,
            help: "Square sizes to run instead of the defaults (256 512 1024 2048; quick: 64 128 256).")
    var sizes: [Int] = []

    @Flag(name: .long, help: "Skip the SAE step shapes.")
    var noSAE = false

    @Option(name: .long, help: "Interleaved Swift/C trials per measurement; the best of each is kept (default: 5, quick: 2).")
    var trials: Int?

    func validate() throws {
        if threads.contains(where: { $0 < 1 }) { throw ValidationError("--threads values must be at least 1") }
        if sizes.contains(where: { $0 < 1 }) { throw ValidationError("--sizes values must be at least 1") }
        if let trials, trials < 1 { throw ValidationError("--trials must be at least 1") }
    }

    func run() throws {
        let threadCounts = threads.isEmpty ? GEMMBenchmark.Configuration.defaultThreadCounts : threads
        var config = quick ? GEMMBenchmark.Configuration.quick(threadCounts: threadCounts)
                           : GEMMBenchmark.Configuration.full(threadCounts: threadCounts)
        if let trials { config.trials = trials }
        if !sizes.isEmpty { config.shapes.removeAll { $0.name.hasPrefix("square ") } }
        if noSAE { config.shapes.removeAll { $0.name.hasPrefix("SAE ") } }
        config.shapes.insert(contentsOf: GEMMShape.squares(sizes), at: 0)

        let baselines = GEMMBenchmark.CBaselines(
            sgemm: { shape, a, b, c, repeats in
                var cpu = 0.0
                let wall = cgemm_bench_sgemm(Int32(shape.m), Int32(shape.n), Int32(shape.k),
                                             shape.transposeA ? 1 : 0, shape.transposeB ? 1 : 0, a, b, c,
                                             Int32(repeats), Int32(Threads.count), &cpu)
                return Stopwatch.Span(wallSeconds: wall, cpuSeconds: cpu)
            },
            fmaPeak: { threads, iterations in
                var cpu = 0.0
                let wall = cgemm_bench_fma_peak(Int32(threads), iterations, &cpu)
                return GEMMBenchmarkReport.Rate(wall: wall, cpu: cpu)
            },
            fmaLanes: Int(cgemm_bench_fma_lanes())
        )
        let report = GEMMBenchmark(configuration: config, baselines: baselines).run { line in
            FileHandle.standardError.write(Data(("bench gemm: " + line + "\n").utf8))
        }
        print(report.table)

        if let json {
            let url = URL(fileURLWithPath: json)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try JSONFile.write(report, to: url)
            print("\nJSON written to \(json)")
        }
    }
}
