/// The results of a ``GEMMBenchmark`` run: Codable for the JSON file, ``table`` for stdout.
public struct GEMMBenchmarkReport: Codable, Sendable {
    /// A throughput: GFLOP/s by wall-clock time (all threads together) and GFLOP per CPU-second
    /// (FLOPs / process CPU seconds: per core, unaffected by time other processes hold the cores).
    public struct Rate: Codable, Sendable, Equatable {
        public var wall: Double
        public var cpu: Double

        public init(wall: Double, cpu: Double) {
            self.wall = wall
            self.cpu = cpu
        }

        /// The better of two measurements, per clock.
        public func best(_ other: Rate) -> Rate { Rate(wall: max(wall, other.wall), cpu: max(cpu, other.cpu)) }

        /// `self / other`, per clock.
        public func ratio(to other: Rate) -> Rate { Rate(wall: wall / other.wall, cpu: cpu / other.cpu) }

        enum CodingKeys: String, CodingKey {
            case wall = "wall_gflops", cpu = "cpu_gflops"
        }
    }

    /// The FP32 FMA peak measured on a thread count.
    public struct Peak: Codable, Sendable {
        public var threads: Int
        public var rate: Rate
    }

    /// One shape on one thread count.
    public struct Result: Codable, Sendable {
        public var shape: GEMMShape
        public var threads: Int
        /// Products per timed trial.
        public var repeats: Int
        /// Best trial through the Swift wrapper.
        public var swift: Rate
        /// Best trial of the same call made from C.
        public var c: Rate
        /// The FMA peak on the same thread count.
        public var peak: Rate

        /// Swift wrapper throughput as a percentage of the FMA peak (per clock).
        public var swiftPercentOfPeak: Rate { let r = swift.ratio(to: peak); return Rate(wall: 100 * r.wall, cpu: 100 * r.cpu) }
        /// C call throughput as a percentage of the FMA peak (per clock).
        public var cPercentOfPeak: Rate { let r = c.ratio(to: peak); return Rate(wall: 100 * r.wall, cpu: 100 * r.cpu) }
        /// Swift wrapper throughput over C call throughput (1 = no overhead).
        public var swiftOverC: Rate { swift.ratio(to: c) }

        enum CodingKeys: String, CodingKey {
            case shape, threads, repeats, swift, c, peak
            case swiftPercentOfPeak = "swift_percent_of_peak", cPercentOfPeak = "c_percent_of_peak"
            case swiftOverC = "swift_over_c"
        }

        public init(shape: GEMMShape, threads: Int, repeats: Int, swift: Rate, c: Rate, peak: Rate) {
            self.shape = shape
            self.threads = threads
            self.repeats = repeats
            self.swift = swift
            self.c = c
            self.peak = peak
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            shape = try container.decode(GEMMShape.self, forKey: .shape)
            threads = try container.decode(Int.self, forKey: .threads)
            repeats = try container.decode(Int.self, forKey: .repeats)
            swift = try container.decode(Rate.self, forKey: .swift)
            c = try container.decode(Rate.self, forKey: .c)
            peak = try container.decode(Rate.self, forKey: .peak)
        }

        /// Writes the measured rates and the derived ratios, so the JSON is self-explanatory.
        /// (Ratios are keyed like rates: `wall_gflops` / `cpu_gflops` hold the per-clock ratio.)
        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(shape, forKey: .shape)
            try container.encode(threads, forKey: .threads)
            try container.encode(repeats, forKey: .repeats)
            try container.encode(swift, forKey: .swift)
            try container.encode(c, forKey: .c)
            try container.encode(peak, forKey: .peak)
            try container.encode(swiftPercentOfPeak, forKey: .swiftPercentOfPeak)
            try container.encode(cPercentOfPeak, forKey: .cPercentOfPeak)
            try container.encode(swiftOverC, forKey: .swiftOverC)
        }
    }

    /// ISO 8601 time of the run.
    public var date: String
    /// `openblas_get_config()`.
    public var blasConfig: String
    /// Active processors on the machine.
    public var processors: Int
    /// The 1-minute load average (from /proc/loadavg) when the run started and ended: a load well
    /// above the thread count means other work shared the cores, and the wall-clock rates are
    /// pessimistic (the per-CPU-second rates much less so).
    public var loadAverageBefore: Double?
    public var loadAverageAfter: Double?
    /// The OpenBLAS kernel family that ran the products, and why (absent in reports of older runs).
    public var kernel: BLASKernel.Status?
    /// FP32 lanes of the FMA loop behind ``peaks``: 16 (AVX-512), 8 (AVX2).
    public var fmaLanes: Int?
    public var configuration: GEMMBenchmark.Configuration
    public var peaks: [Peak]
    public var results: [Result]

    enum CodingKeys: String, CodingKey {
        case date, processors, configuration, peaks, results
        case blasConfig = "blas_config"
        case loadAverageBefore = "load_average_before", loadAverageAfter = "load_average_after"
        case kernel, fmaLanes = "fma_lanes"
    }

    /// A fixed-width table for the terminal.
    public var table: String {
        var lines: [String] = []
        lines.append("sgemm throughput — \(blasConfig), \(processors) processor(s)")
        if let before = loadAverageBefore, let after = loadAverageAfter {
            lines.append("load average: \(f(before, 2)) at start, \(f(after, 2)) at end")
        }
        if let kernel { lines.append(kernel.description) }
        let fmaWidth = fmaLanes.map { $0 == 16 ? " (AVX-512, 16 lanes)" : $0 == 8 ? " (AVX2, 8 lanes)" : "" } ?? ""
        lines.append("FP32 FMA peak\(fmaWidth): " + peaks.map {
            "\($0.threads) thread(s) \(f($0.rate.wall, 1)) GFLOP/s wall, \(f($0.rate.cpu, 1)) per CPU-second"
        }.joined(separator: "; "))
        lines.append("")
        let header = [pad("shape", 20, left: true), pad("m", 6), pad("n", 6), pad("k", 6), pad("op", 3), pad("thr", 4),
                      "|", pad("Swift", 7), pad("C", 7), pad("%peak", 6), pad("Swift/C", 7),
                      "|", pad("Swift", 7), pad("C", 7), pad("%peak", 6), pad("Swift/C", 7)]
        let width = header.joined(separator: " ").count
        let wallStart = header[0..<7].joined(separator: " ").count
        lines.append(String(repeating: " ", count: wallStart) + pad(" GFLOP/s (wall clock)", 31, left: true)
                     + "  " + " GFLOP per CPU-second (per core)")
        lines.append(header.joined(separator: " "))
        lines.append(String(repeating: "-", count: width))
        for r in results {
            let pct = r.swiftPercentOfPeak, ratio = r.swiftOverC
            lines.append([pad(r.shape.name, 20, left: true), pad("\(r.shape.m)", 6), pad("\(r.shape.n)", 6),
                          pad("\(r.shape.k)", 6), pad(r.shape.transposeCode, 3), pad("\(r.threads)", 4),
                          "|", pad(f(r.swift.wall, 1), 7), pad(f(r.c.wall, 1), 7), pad(f(pct.wall, 1), 6),
                          pad(f(ratio.wall, 3), 7),
                          "|", pad(f(r.swift.cpu, 1), 7), pad(f(r.c.cpu, 1), 7), pad(f(pct.cpu, 1), 6),
                          pad(f(ratio.cpu, 3), 7)].joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    private func f(_ x: Double, _ decimals: Int) -> String { GEMMBenchmark.format(x, decimals) }

    private func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return left ? s + fill : fill + s
    }
}
