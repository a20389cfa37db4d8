import COpenBLAS
import Foundation

/// Which OpenBLAS kernel family runs SAETrack's GEMMs, and SAETrack's choice when OpenBLAS's own
/// is weaker than the CPU.
///
/// OpenBLAS (in DYNAMIC_ARCH builds, as Debian ships it) picks a kernel family when the library
/// loads, from tables of the CPUs it knew when it was released, and reads `OPENBLAS_CORETYPE` only
/// then. Two cases cost SAETrack most of its speed:
/// - **A CPU newer than OpenBLAS's tables.** OpenBLAS 0.3.21 runs its SSE3 "Prescott" kernels on an
///   Intel Xeon of family 6 model 207 (AVX-512 with BF16 and AMX): 28 GFLOP/s on one thread for
///   1024³ sgemm, against 126–141 with an AVX-512 family.
/// - **AMD Zen 3/4 (family 19h) with AVX-512**: OpenBLAS picks "Cooperlake"/"SkylakeX", but those
///   cores split each 512-bit FMA into two 256-bit halves, and the AVX2 "Haswell" kernels measured
///   faster (1024³ sgemm: 92.7 % of the FMA peak against 86.9 %).
///
/// ``choice(for:current:)`` decides from the CPU's feature flags alone (``CPUInfo``) and never picks
/// a family that needs an instruction the CPU lacks. An executable applies it by re-executing
/// itself once with `OPENBLAS_CORETYPE` set: call ``reexecutingWithFasterKernelIfNeeded(arguments:)``
/// first thing in `main` (the `saetrack` CLI does). A set `OPENBLAS_CORETYPE` always wins, and
/// `SAETRACK_BLAS_KERNEL=default` keeps OpenBLAS's own choice. ``status`` says which family runs
/// and why.
public enum BLASKernel {
    /// The kernel family OpenBLAS is running, as it names it ("Haswell", "Cooperlake", "Prescott").
    public static var current: String { String(cString: openblas_get_corename()) }

    /// A family SAETrack prefers to OpenBLAS's choice, and why.
    public struct Choice: Equatable, Sendable {
        public var family: Family
        public var reason: String
    }

    /// The family SAETrack would rather run on `cpu` while OpenBLAS runs `current`, or nil when
    /// OpenBLAS's choice stands: its GEMM kernels are as wide as the CPU allows
    /// (``VectorClass/gemmTier``), or `current` is a name newer than ``Family``, which SAETrack
    /// then trusts. The answer is the strongest family the CPU runs (``CPUInfo/runnableFamilies``).
    public static func choice(for cpu: CPUInfo, current: String) -> Choice? {
        guard let running = Family(openBLASName: current), let best = preferredFamilies(for: cpu).first
        else { return nil }
        if isSplitAVX512AMD(cpu), running.vectorClass >= .avx512 {
            return Choice(family: .haswell, reason: "AMD family 19h runs 512-bit FMAs as two 256-bit halves; "
                          + "OpenBLAS's AVX2 Haswell kernels are faster there than its \(running) kernels")
        }
        guard running.vectorClass.gemmTier < best.vectorClass.gemmTier else { return nil }
        return Choice(family: best, reason: "OpenBLAS chose \(running) (\(running.vectorClass) kernels) "
                      + "on a CPU that runs \(cpu.vectorClass); \(best) is the strongest family it supports")
    }

    /// The families worth running on `cpu`, best first (``CPUInfo/runnableFamilies``, without the
    /// AVX-512 families on AMD family 19h).
    static func preferredFamilies(for cpu: CPUInfo) -> [Family] {
        let runnable = cpu.runnableFamilies
        return isSplitAVX512AMD(cpu) ? runnable.filter { $0.vectorClass <= .avx2 } : runnable
    }

    /// AMD Zen 3/4 (family 19h): AVX-512, where Zen 4 has it, runs at AVX2 width.
    private static func isSplitAVX512AMD(_ cpu: CPUInfo) -> Bool {
        cpu.vendor == "AuthenticAMD" && cpu.family == 0x19 && cpu.has("avx2", "fma")
    }

    /// After a re-exec that asked for `requested`: the next family to try when OpenBLAS did not
    /// honour the request (an older OpenBLAS that does not know the name falls back to its own
    /// detection, which may be the weak family it chose before), or nil to stay. A request counts
    /// as honoured when what runs has GEMM kernels as wide (``VectorClass/gemmTier``).
    ///
    /// Each answer is weaker than `requested` and stronger than `original` (OpenBLAS's own choice),
    /// so a chain of re-execs ends after at most one step per vector class. When nothing is left
    /// to try and the running family is weaker than `original`, the answer is `original`.
    static func fallback(after requested: Family, running: String, original: Family, cpu: CPUInfo) -> Family? {
        guard let now = Family(openBLASName: running), now.vectorClass.gemmTier < requested.vectorClass.gemmTier
        else { return nil }
        if let next = preferredFamilies(for: cpu).first(where: {
            $0.vectorClass < requested.vectorClass && $0.vectorClass > max(original.vectorClass, now.vectorClass)
        }) {
            return next
        }
        return now.vectorClass < original.vectorClass && original != requested ? original : nil
    }

    // MARK: Applying the choice

    /// `OPENBLAS_CORETYPE` as SAETrack last set it; equal to `OPENBLAS_CORETYPE` only in a process
    /// SAETrack re-executed, so a user's own setting is never mistaken for SAETrack's.
    static let chosenVariable = "SAETRACK_BLAS_KERNEL_CHOSEN"
    /// OpenBLAS's own choice before SAETrack's first re-exec.
    static let originalVariable = "SAETRACK_BLAS_KERNEL_OPENBLAS"
    /// A `/proc/cpuinfo` file to decide from instead of the machine's (tests). Its flags are
    /// intersected with the machine's, so it can never choose a kernel this CPU cannot run.
    static let cpuInfoVariable = "SAETRACK_CPUINFO"

    /// Re-executes the running program with `OPENBLAS_CORETYPE` set to ``choice(for:current:)``
    /// when that differs from OpenBLAS's choice, and once more with a weaker family if OpenBLAS
    /// did not honour the request. Returns, having changed nothing, when there is nothing to
    /// change, when `OPENBLAS_CORETYPE` is set by someone else, when `SAETRACK_BLAS_KERNEL=default`,
    /// or when the re-exec fails (the program then runs on OpenBLAS's choice).
    ///
    /// Call it first thing in `main`, before any threads start:
    /// ```swift
    /// BLASKernel.reexecutingWithFasterKernelIfNeeded()
    /// print(BLASKernel.status)
    /// ```
    public static func reexecutingWithFasterKernelIfNeeded(arguments: [String] = CommandLine.arguments) {
        let env = ProcessInfo.processInfo.environment
        guard env["SAETRACK_BLAS_KERNEL"]?.lowercased() != "default", !arguments.isEmpty,
              let cpu = decisionCPU(environment: env) else { return }
        let running = current
        let next: Family?
        let firstPass: Bool
        switch env["OPENBLAS_CORETYPE"] {
        case nil:
            next = choice(for: cpu, current: running)?.family
            firstPass = true
        case let forced? where forced == env[chosenVariable]:
            guard let requested = Family(openBLASName: forced),
                  let original = env[originalVariable].flatMap(Family.init(openBLASName:)) else { return }
            next = fallback(after: requested, running: running, original: original, cpu: cpu)
            firstPass = false
        default:
            return
        }
        guard let next else { return }
        if firstPass { setenv(originalVariable, running, 1) }
        setenv("OPENBLAS_CORETYPE", next.rawValue, 1)
        setenv(chosenVariable, next.rawValue, 1)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", &argv)
        // Still here: the exec failed; carry on with the kernels already loaded.
        for p in argv { free(p) }
        if firstPass {
            for name in ["OPENBLAS_CORETYPE", chosenVariable, originalVariable] { unsetenv(name) }
        }
    }

    /// The CPU to decide for: the machine's, or a test's `SAETRACK_CPUINFO` file limited to the
    /// machine's flags.
    static func decisionCPU(environment env: [String: String]) -> CPUInfo? {
        guard let machine = CPUInfo.current else { return nil }
        guard let path = env[cpuInfoVariable] else { return machine }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), var standIn = CPUInfo(text)
        else { return machine }
        standIn.flags.formIntersection(machine.flags)
        return standIn
    }
}
