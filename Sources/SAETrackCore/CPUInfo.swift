import Foundation

/// The fields of Linux's `/proc/cpuinfo` that decide which OpenBLAS kernels a CPU can run
/// (first processor only: the kernel exposes one feature set to every core).
///
/// The flags are what the operating system enables, not only what the silicon has: a hypervisor
/// or kernel that does not save AVX-512 state leaves `avx512f` out, and so nothing here would ever
/// choose an AVX-512 kernel there.
public struct CPUInfo: Sendable, Equatable {
    /// `vendor_id`: "GenuineIntel", "AuthenticAMD", …
    public var vendor: String
    /// `cpu family` (decimal): 6 for every recent Intel core, 25 (19h) for AMD Zen 3/4, 26 (1Ah) for Zen 5.
    public var family: Int
    /// `model` (decimal).
    public var model: Int
    /// `model name`, or "" when absent.
    public var modelName: String
    /// Every word of `flags`.
    public var flags: Set<String>

    /// Parses the text of `/proc/cpuinfo`; nil when vendor, family or flags are missing.
    public init?(_ text: String) {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                if fields.isEmpty { continue } else { break }
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].trimmingCharacters(in: .whitespaces)] =
                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard let vendor = fields["vendor_id"], let family = fields["cpu family"].flatMap({ Int($0) }),
              let flags = fields["flags"] else { return nil }
        self.vendor = vendor
        self.family = family
        self.model = fields["model"].flatMap { Int($0) } ?? 0
        self.modelName = fields["model name"] ?? ""
        self.flags = Set(flags.split(separator: " ").map(String.init))
    }

    /// This machine's `/proc/cpuinfo`, or nil where there is none (not Linux) or it cannot be read.
    public static var current: CPUInfo? {
        (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)).flatMap(CPUInfo.init)
    }

    /// Whether every one of `names` is among the flags.
    public func has(_ names: String...) -> Bool { names.allSatisfy(flags.contains) }

    /// The widest vector class this CPU runs.
    public var vectorClass: BLASKernel.VectorClass {
        let avx512 = has("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma")
        if avx512 && has("avx512_bf16", "amx_tile", "amx_bf16") { return .amx }
        if avx512 && has("avx512_bf16") { return .avx512BF16 }
        if avx512 { return .avx512 }
        if has("avx2", "fma") { return .avx2 }
        if has("avx") { return .avx }
        return .sse
    }

    /// The OpenBLAS families this CPU can run that are worth choosing, best first: one per vector
    /// class from the CPU's own down to AVX (SSE kernels are never worth choosing).
    public var runnableFamilies: [BLASKernel.Family] {
        let ladder: [BLASKernel.Family] = [.sapphireRapids, .cooperlake, .skylakeX, .haswell, .sandybridge]
        return ladder.filter { $0.vectorClass <= vectorClass }
    }

    /// One line for people: "GenuineIntel family 6 model 207 (Intel(R) Xeon(R) Processor), AVX-512+BF16+AMX".
    public var summary: String {
        let name = modelName.isEmpty ? "" : " (\(modelName))"
        return "\(vendor) family \(family) model \(model)\(name), \(vectorClass)"
    }
}
