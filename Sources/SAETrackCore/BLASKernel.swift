import COpenBLAS
import Foundation

/// Which OpenBLAS kernel family runs SAETrack's GEMMs, and the one faster choice SAETrack makes.
///
/// OpenBLAS (DYNAMIC_ARCH builds, as Debian ships) picks a kernel family for the CPU when the
/// library loads, and reads `OPENBLAS_CORETYPE` only then. On AMD Zen 4 (family 19h with
/// AVX-512) OpenBLAS 0.3.21 picks its AVX-512 "Cooperlake"/"SkylakeX" kernels, but Zen 4 runs
/// 512-bit FMAs as two 256-bit halves, and the AVX2 "Haswell" kernels are faster: 1024³ sgemm on
/// one thread reached 92.7% of the FMA peak against 86.9% (`saetrack bench gemm`, Docs/Performance.md).
/// Every AVX-512 CPU also has AVX2 and FMA, so the Haswell kernels are always safe there.
///
/// Because the choice is made at load time, an executable applies it by re-executing itself
/// once with `OPENBLAS_CORETYPE` set: ``reexecutingWithFasterKernelIfNeeded()``, which the
/// `saetrack` CLI calls first thing. It changes nothing when `OPENBLAS_CORETYPE` is already set
/// (a user's or a site's choice always wins) or when `SAETRACK_BLAS_KERNEL=default`.
public enum BLASKernel {
    /// The kernel family OpenBLAS is running (for example "Haswell" or "Cooperlake").
    public static var current: String { String(cString: openblas_get_corename()) }

    /// The kernel family SAETrack would rather run on this CPU, or nil when OpenBLAS's choice stands.
    public static func preferred(cpuInfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
                                 current: String = current) -> String? {
        guard let cpuInfo, let cpu = CPU(cpuInfo: cpuInfo) else { return nil }
        let avx512Kernel = ["cooperlake", "skylakex", "sapphirerapids"].contains(current.lowercased())
        if cpu.vendor == "AuthenticAMD", cpu.family == 0x19, avx512Kernel,
           cpu.flags.isSuperset(of: ["avx2", "fma", "avx512f"]) {
            return "Haswell"
        }
        return nil
    }

    /// Re-executes the running program with `OPENBLAS_CORETYPE` set to ``preferred(cpuInfo:current:)``
    /// when that differs from OpenBLAS's choice. Returns (having changed nothing) when there is
    /// nothing to change, when the environment already decides, or when the re-exec fails.
    public static func reexecutingWithFasterKernelIfNeeded(arguments: [String] = CommandLine.arguments) {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env["SAETRACK_BLAS_KERNEL"]?.lowercased() != "default",
              let kernel = preferred(), !arguments.isEmpty else { return }
        setenv("OPENBLAS_CORETYPE", kernel, 1)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", &argv)
        // Still here: the exec failed; carry on with OpenBLAS's own choice.
        unsetenv("OPENBLAS_CORETYPE")
        for p in argv { free(p) }
    }

    /// The fields of `/proc/cpuinfo` that decide the choice (first processor only).
    struct CPU {
        var vendor: String
        var family: Int
        var flags: Set<String>

        init?(cpuInfo: String) {
            var fields: [String: String] = [:]
            for line in cpuInfo.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.trimmingCharacters(in: .whitespaces).isEmpty { break }
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[line[..<colon].trimmingCharacters(in: .whitespaces)] =
                    line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            guard let vendor = fields["vendor_id"], let family = fields["cpu family"].flatMap({ Int($0) }),
                  let flags = fields["flags"] else { return nil }
            self.vendor = vendor
            self.family = family
            self.flags = Set(flags.split(separator: " ").map(String.init))
        }
    }
}
