import Foundation
import Testing
@testable import SAETrackCore

@Suite("GEMM benchmark harness")
struct GEMMBenchmarkTests {
    @Test("SAE step shapes have the right dimensions, transposes and FLOP counts")
    func saeShapes() {
        let shapes = GEMMShape.sparseAutoencoderStep(tokens: 4096, dIn: 768, dSAE: 24576)
        #expect(shapes.map { [$0.m, $0.n, $0.k] } == [[4096, 24576, 768], [4096, 768, 24576], [768, 24576, 4096], [24576, 768, 4096]])
        #expect(shapes.map(\.transposeCode) == ["NN", "NN", "TN", "TN"])
        #expect(shapes[0].aShape == (4096, 768) && shapes[2].aShape == (4096, 768) && shapes[3].aShape == (4096, 24576))
        #expect(shapes.allSatisfy { $0.flops == 2 * 4096 * 768 * 24576 })
    }

    @Test("a tiny run reports every shape × thread count, percentages of the given peak, and round-trips as JSON")
    func tinyRun() throws {
        let config = GEMMBenchmark.Configuration(
            shapes: GEMMShape.squares([8, 16]) + GEMMShape.sparseAutoencoderStep(tokens: 16, dIn: 4, dSAE: 32),
            threadCounts: [1, 2], trials: 1, minSecondsPerTrial: 0, peakIterations: 1, peakTrials: 2)
        // The "C" side here is the pointer wrapper; the real run passes the CGEMMBench C functions.
        var cCalls = 0
        let baselines = GEMMBenchmark.CBaselines(
            sgemm: { shape, a, b, c, repeats in
                cCalls += 1
                return Stopwatch.measure {
                    for _ in 0..<repeats {
                        BLAS.gemm(shape.transposeA ? .transposed : .none, shape.transposeB ? .transposed : .none,
                                  m: shape.m, n: shape.n, k: shape.k, a: a, lda: shape.aShape.cols,
                                  b: b, ldb: shape.bShape.cols, c: c, ldc: shape.n)
                    }
                }
            },
            fmaPeak: { threads, _ in GEMMBenchmarkReport.Rate(wall: 50 * Double(threads), cpu: 60) })
        let saved = Threads.count
        let report = GEMMBenchmark(configuration: config, baselines: baselines).run()
        #expect(Threads.count == saved)
        #expect(report.results.count == 6 * 2)
        #expect(cCalls == 6 * 2 * 2)   // one warm-up and one trial per shape and thread count
        #expect(report.peaks.map(\.rate) == [.init(wall: 50, cpu: 60), .init(wall: 100, cpu: 60)])
        for r in report.results {
            for rate in [r.swift.wall, r.swift.cpu, r.c.wall, r.c.cpu] { #expect(rate > 0 && rate.isFinite) }
            #expect(abs(r.swiftPercentOfPeak.wall - 100 * r.swift.wall / (50 * Double(r.threads))) < 1e-9)
            #expect(abs(r.swiftPercentOfPeak.cpu - 100 * r.swift.cpu / 60) < 1e-9)
            #expect(abs(r.swiftOverC.wall - r.swift.wall / r.c.wall) < 1e-12)
        }
        let data = try JSONEncoder().encode(report)
        let back = try JSONDecoder().decode(GEMMBenchmarkReport.self, from: data)
        #expect(back.results.map(\.swift) == report.results.map(\.swift))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let first = try #require((json["results"] as? [[String: Any]])?.first)
        #expect((first["swift_over_c"] as? [String: Any])?["cpu_gflops"] is Double)
        #expect((first["swift_percent_of_peak"] as? [String: Any])?["wall_gflops"] is Double)
        for name in ["square 8", "square 16", "SAE encoder forward", "SAE W_dec gradient"] {
            #expect(report.table.contains(name))
        }
    }
}
