import Foundation
import Testing
import SAETrack

/// The CLI's re-exec with another OpenBLAS kernel family, end to end: a real `execv` of the built
/// `saetrack`, with OpenBLAS loading again and reporting the family it runs.
@Suite("BLAS kernel re-exec (CLI)")
struct BLASKernelCLITests {
    struct System: Decodable {
        var kernel: BLASKernel.Status
    }

    /// `saetrack inspect --system --json` with `OPENBLAS_CORETYPE` and the test variables as given.
    static func system(_ environment: [String: String]) throws -> BLASKernel.Status {
        var env: [String: String?] = [:]
        for name in ["OPENBLAS_CORETYPE", "SAETRACK_BLAS_KERNEL", "SAETRACK_BLAS_KERNEL_CHOSEN",
                     "SAETRACK_BLAS_KERNEL_OPENBLAS", "SAETRACK_CPUINFO"] { env[name] = .some(nil) }
        for (k, v) in environment { env[k] = v }
        let r = try CLIHarness.execute(["inspect", "--system", "--json"], environment: env,
                                       in: FileManager.default.temporaryDirectory)
        try #require(r.status == 0, "inspect --system failed: \(r.stderr)")
        return try JSONDecoder().decode(System.self, from: Data(r.stdout.utf8)).kernel
    }

    static func fixture(_ name: String) -> String {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        url.deleteLastPathComponent()
        return url.appendingPathComponent("Fixtures/cpuinfo/\(name).txt").path
    }

    @Test("a CPU that wants another family re-execs once and runs it; OPENBLAS_CORETYPE and SAETRACK_BLAS_KERNEL=default win")
    func reexecRunsTheChosenFamily() throws {
        try #require(FileManager.default.isExecutableFile(atPath: TrainSAEResumeTests.executable.path),
                     "build the CLI first (make test does)")
        let machine = try #require(CPUInfo.current, "no /proc/cpuinfo")
        // OpenBLAS's own choice on this machine.
        let own = try Self.system(["SAETRACK_BLAS_KERNEL": "default"])
        #expect(own.source == .optedOut)
        let ownFamily = try #require(BLASKernel.Family(openBLASName: own.running), "unknown family \(own.running)")

        // Decide as if this were a Zen 4 (flags limited to this machine's, so never a kernel it
        // cannot run): Haswell whenever OpenBLAS runs an AVX-512 family here.
        let zen4 = try Self.system(["SAETRACK_CPUINFO": Self.fixture("amd-epyc-zen4-family25-model17")])
        if machine.has("avx2", "fma") && ownFamily.vectorClass >= .avx512 {
            #expect(zen4.running == "Haswell" && zen4.source == .saetrack)
            #expect(zen4.openBLASChoice == ownFamily.rawValue)
            #expect(zen4.reason.contains("two 256-bit halves"))
        } else {
            #expect(zen4.running == ownFamily.rawValue && zen4.source == .openBLAS)
        }

        // A set OPENBLAS_CORETYPE always wins, even against the stand-in CPU's preference.
        let forced = try Self.system(["OPENBLAS_CORETYPE": "Prescott",
                                      "SAETRACK_CPUINFO": Self.fixture("amd-epyc-zen4-family25-model17")])
        #expect(forced.running == "Prescott" && forced.source == .environment)
        if machine.has("avx2", "fma") { #expect(forced.reason.contains("unset it")) }

        // SAETrack's own marker without OPENBLAS_CORETYPE matching it is not mistaken for its choice.
        let spoofed = try Self.system(["OPENBLAS_CORETYPE": "Prescott", "SAETRACK_BLAS_KERNEL_CHOSEN": "Haswell"])
        #expect(spoofed.running == "Prescott" && spoofed.source == .environment)
    }
}
