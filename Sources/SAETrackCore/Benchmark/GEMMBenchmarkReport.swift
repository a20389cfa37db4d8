/// The results of a ``GEMMBenchmark`` run: Codable for the JSON file, ``table`` for stdout.
public struct GEMMBenchmarkReport: Codable, Sendable {
    /// The FP32 FMA peak measured on a thread count.
    public struct Peak: Codable, Sendable {
        public var threads: Int
        public var gflops: Double
    }

    /// One shape on one thread count.
    public struct Result: Codable, Sendable {
        public var shape: GEMMShape
        public var threads: Int
        /// Products per timed trial.
        public var repeats: Int
        /// Best trial through the Swift wrapper.
        public var swiftGFLOPS: Double
        /// Best trial of the same call made from C.
        public var cGFLOPS: Double
        /// The FMA peak on the same thread count.
        public var peakGFLOPS: Double

        /// Swift wrapper throughput as a percentage of the FMA peak.
        public var swiftPercentOfPeak: Double { 100 * swiftGFLOPS / peakGFLOPS }
        /// C call throughput as a percentage of the FMA peak.
        public var cPercentOfPeak: Double { 100 * cGFLOPS / peakGFLOPS }
        /// Swift wrapper throughput over C call throughput (1 = no overhead).
        public var swiftOverC: Double { swiftGFLOPS / cGFLOPS }

        enum CodingKeys: String, CodingKey {
            case shape, threads, repeats
            case swiftGFLOPS = "swift_gflops", cGFLOPS = "c_gflops", peakGFLOPS = "peak_gflops"
            case swiftPercentOfPeak = "swift_percent_of_peak", cPercentOfPeak = "c_percent_of_peak"
            case swiftOverC = "swift_over_c"
        }

        public init(shape: GEMMShape, threads: Int, repeats: Int, swiftGFLOPS: Double, cGFLOPS: Double, peakGFLOPS: Double) {
            self.shape = shape
            self.threads = threads
            self.repeats = repeats
            self.swiftGFLOPS = swiftGFLOPS
            self.cGFLOPS = cGFLOPS
            self.peakGFLOPS = peakGFLOPS
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            shape = try c.decode(GEMMShape.self, forKey: .shape)
            threads = try c.decode(Int.self, forKey: .threads)
            repeats = try c.decode(Int.self, forKey: .repeats)
            swiftGFLOPS = try c.decode(Double.self, forKey: .swiftGFLOPS)
            cGFLOPS = try c.decode(Double.self, forKey: .cGFLOPS)
            peakGFLOPS = try c.decode(Double.self, forKey: .peakGFLOPS)
        }

        /// Writes the measured values and the derived ratios, so the JSON is self-explanatory.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(shape, forKey: .shape)
            try c.encode(threads, forKey: .threads)
            try c.encode(repeats, forKey: .repeats)
            try c.encode(swiftGFLOPS, forKey: .swiftGFLOPS)
            try c.encode(cGFLOPS, forKey: .cGFLOPS)
            try c.encode(peakGFLOPS, forKey: .peakGFLOPS)
            try c.encode(swiftPercentOfPeak, forKey: .swiftPercentOfPeak)
            try c.encode(cPercentOfPeak, forKey: .cPercentOfPeak)
            try c.encode(swiftOverC, forKey: .swiftOverC)
        }
    }

    /// ISO 8601 time of the run.
    public var date: String
    /// `openblas_get_config()`.
    public var blasConfig: String
    /// Active processors on the machine.
    public var processors: Int
    /// The 1-minute load average (from /proc/loadavg) when the run started and ended: a load well
    /// above the thread count means other work shared the cores and the numbers are pessimistic.
    public var loadAverageBefore: Double?
    public var loadAverageAfter: Double?
    public var configuration: GEMMBenchmark.Configuration
    public var peaks: [Peak]
    public var results: [Result]

    enum CodingKeys: String, CodingKey {
        case date, processors, configuration, peaks, results
        case blasConfig = "blas_config"
        case loadAverageBefore = "load_average_before", loadAverageAfter = "load_average_after"
    }

    /// A fixed-width table for the terminal.
    public var table: String {
        var lines: [String] = []
        lines.append("sgemm throughput — \(blasConfig), \(processors) processor(s)")
        if let before = loadAverageBefore, let after = loadAverageAfter {
            lines.append("load average: \(f(before, 2)) at start, \(f(after, 2)) at end")
        }
        lines.append("FP32 FMA peak: " + peaks.map { "\(f($0.gflops, 1)) GFLOP/s on \($0.threads) thread(s)" }
            .joined(separator: ", "))
        lines.append("")
        let header = [pad("shape", 22, left: true), pad("m", 6), pad("n", 6), pad("k", 6), pad("op", 3), pad("thr", 4),
                      pad("Swift GF/s", 11), pad("C GF/s", 9), pad("% peak", 7), pad("Swift/C", 8)]
        lines.append(header.joined(separator: " "))
        lines.append(String(repeating: "-", count: lines.last!.count))
        for r in results {
            lines.append([pad(r.shape.name, 22, left: true), pad("\(r.shape.m)", 6), pad("\(r.shape.n)", 6),
                          pad("\(r.shape.k)", 6), pad(r.shape.transposeCode, 3), pad("\(r.threads)", 4),
                          pad(f(r.swiftGFLOPS, 1), 11), pad(f(r.cGFLOPS, 1), 9), pad(f(r.swiftPercentOfPeak, 1), 7),
                          pad(f(r.swiftOverC, 3), 8)].joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    private func f(_ x: Double, _ decimals: Int) -> String { GEMMBenchmark.format(x, decimals) }

    private func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return left ? s + fill : fill + s
    }
}
