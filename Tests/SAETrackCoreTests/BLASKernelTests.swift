import Foundation
import Testing
@testable import SAETrackCore

/// The decision table of ``BLASKernel/choice(for:current:)`` on real `/proc/cpuinfo` heads
/// (`Tests/Fixtures/cpuinfo`), the fallback when OpenBLAS ignores a requested family, and the
/// status every front end prints.
@Suite("BLAS kernel choice")
struct BLASKernelTests {
    static func cpu(_ name: String) throws -> CPUInfo {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        url.deleteLastPathComponent()
        let text = try String(contentsOf: url.appendingPathComponent("Fixtures/cpuinfo/\(name).txt"), encoding: .utf8)
        return try #require(CPUInfo(text), "\(name) does not parse")
    }

    static func chosen(_ cpu: CPUInfo, _ current: String) -> String? {
        BLASKernel.choice(for: cpu, current: current)?.family.rawValue
    }

    @Test("cpuinfo fields of the first processor; the second processor's are ignored")
    func parsesFirstProcessor() throws {
        let xeon = try Self.cpu("intel-xeon-family6-model207")
        #expect(xeon.vendor == "GenuineIntel" && xeon.family == 6 && xeon.model == 207)
        #expect(xeon.modelName == "Intel(R) Xeon(R) Processor")
        #expect(xeon.has("amx_tile", "avx512_bf16", "avx512f") && !xeon.has("sse4a"))
        let zen4 = try Self.cpu("amd-epyc-zen4-family25-model17")
        #expect(zen4.vendor == "AuthenticAMD" && zen4.family == 25 && zen4.model == 17)
        #expect(CPUInfo("garbage without fields") == nil)
        #expect(CPUInfo("vendor_id : X\ncpu family : 6\n") == nil)   // no flags
    }

    @Test("vector class and runnable families from the flags, never one needing a missing instruction")
    func vectorClasses() throws {
        let table: [(String, BLASKernel.VectorClass, [String])] = [
            ("intel-xeon-family6-model207", .amx, ["SapphireRapids", "Cooperlake", "SkylakeX", "Haswell", "Sandybridge"]),
            ("intel-sapphire-rapids-family6-model143", .amx, ["SapphireRapids", "Cooperlake", "SkylakeX", "Haswell", "Sandybridge"]),
            ("intel-icelake-sp-family6-model106", .avx512, ["SkylakeX", "Haswell", "Sandybridge"]),
            ("intel-skylake-sp-family6-model85", .avx512, ["SkylakeX", "Haswell", "Sandybridge"]),
            ("intel-haswell-family6-model63", .avx2, ["Haswell", "Sandybridge"]),
            ("amd-epyc-zen3-family25-model1", .avx2, ["Haswell", "Sandybridge"]),
            ("amd-epyc-zen4-family25-model17", .avx512BF16, ["Cooperlake", "SkylakeX", "Haswell", "Sandybridge"]),
            ("amd-epyc-zen5-family26-model2", .avx512BF16, ["Cooperlake", "SkylakeX", "Haswell", "Sandybridge"]),
            ("qemu-nehalem-class-sse4-family6-model26", .sse, []),
        ]
        for (name, vectorClass, families) in table {
            let cpu = try Self.cpu(name)
            #expect(cpu.vectorClass == vectorClass, "\(name)")
            #expect(cpu.runnableFamilies.map(\.rawValue) == families, "\(name)")
        }
        // Without one of the five AVX-512 subsets a CPU is not AVX-512 for OpenBLAS's kernels.
        var partial = try Self.cpu("intel-skylake-sp-family6-model85")
        partial.flags.remove("avx512vl")
        #expect(partial.vectorClass == .avx2)
    }

    @Test("the decision table: (CPU, OpenBLAS's own family) → SAETrack's family, or nil to keep it")
    func decisionTable() throws {
        let table: [(String, String, String?)] = [
            // OpenBLAS 0.3.21 does not know this Xeon and falls back to SSE3.
            ("intel-xeon-family6-model207", "Prescott", "SapphireRapids"),
            ("intel-xeon-family6-model207", "Haswell", "SapphireRapids"),
            // Already on AVX-512 GEMM kernels: the three AVX-512 families share them.
            ("intel-xeon-family6-model207", "Cooperlake", nil),
            ("intel-xeon-family6-model207", "SapphireRapids", nil),
            ("intel-sapphire-rapids-family6-model143", "SkylakeX", nil),
            ("intel-sapphire-rapids-family6-model143", "Sandybridge", "SapphireRapids"),
            ("intel-icelake-sp-family6-model106", "SkylakeX", nil),
            ("intel-icelake-sp-family6-model106", "Haswell", "SkylakeX"),
            ("intel-skylake-sp-family6-model85", "SkylakeX", nil),
            ("intel-skylake-sp-family6-model85", "Prescott", "SkylakeX"),
            ("intel-haswell-family6-model63", "Haswell", nil),
            ("intel-haswell-family6-model63", "Nehalem", "Haswell"),
            ("intel-haswell-family6-model63", "Sandybridge", "Haswell"),
            // Zen 3: OpenBLAS's Zen kernels are AVX2 kernels already.
            ("amd-epyc-zen3-family25-model1", "Zen", nil),
            ("amd-epyc-zen3-family25-model1", "Prescott", "Haswell"),
            // Zen 4: AVX2 beats the split AVX-512, whatever OpenBLAS picked.
            ("amd-epyc-zen4-family25-model17", "Cooperlake", "Haswell"),
            ("amd-epyc-zen4-family25-model17", "SkylakeX", "Haswell"),
            ("amd-epyc-zen4-family25-model17", "Haswell", nil),
            ("amd-epyc-zen4-family25-model17", "Zen", nil),
            ("amd-epyc-zen4-family25-model17", "Prescott", "Haswell"),
            // Zen 5 runs 512-bit FMAs at full width: AVX-512 kernels are twice Haswell's rate there.
            ("amd-epyc-zen5-family26-model2", "Cooperlake", nil),
            ("amd-epyc-zen5-family26-model2", "SkylakeX", nil),
            ("amd-epyc-zen5-family26-model2", "Haswell", "Cooperlake"),
            ("amd-epyc-zen5-family26-model2", "Prescott", "Cooperlake"),
            // Nothing past SSE4.2: no family is worth a re-exec.
            ("qemu-nehalem-class-sse4-family6-model26", "Nehalem", nil),
            ("qemu-nehalem-class-sse4-family6-model26", "Prescott", nil),
            // A family name newer than SAETrack's table: OpenBLAS knows better.
            ("intel-xeon-family6-model207", "GraniteRapids", nil),
        ]
        for (name, current, expected) in table {
            #expect(Self.chosen(try Self.cpu(name), current) == expected, "\(name) running \(current)")
        }
        // Names match without regard to case (openblas_get_corename has used both).
        #expect(Self.chosen(try Self.cpu("intel-xeon-family6-model207"), "prescott") == "SapphireRapids")
    }

    @Test("an OpenBLAS that ignores the requested family gets the next weaker one, then stops")
    func fallbackChain() throws {
        let xeon = try Self.cpu("intel-xeon-family6-model207")
        // 0.3.21 does not know "SapphireRapids" and runs its own detection (Prescott) instead.
        #expect(BLASKernel.fallback(after: .sapphireRapids, running: "Prescott", original: .prescott, cpu: xeon) == .cooperlake)
        // Cooperlake honoured: stay.
        #expect(BLASKernel.fallback(after: .cooperlake, running: "Cooperlake", original: .prescott, cpu: xeon) == nil)
        // Cooperlake ignored too: SkylakeX, Haswell, Sandybridge, then nothing.
        #expect(BLASKernel.fallback(after: .cooperlake, running: "Prescott", original: .prescott, cpu: xeon) == .skylakeX)
        #expect(BLASKernel.fallback(after: .skylakeX, running: "Prescott", original: .prescott, cpu: xeon) == .haswell)
        #expect(BLASKernel.fallback(after: .haswell, running: "Prescott", original: .prescott, cpu: xeon) == .sandybridge)
        #expect(BLASKernel.fallback(after: .sandybridge, running: "Prescott", original: .prescott, cpu: xeon) == nil)
        // OpenBLAS ran another AVX-512 family than the one asked for: the same SGEMM kernels, so stay.
        #expect(BLASKernel.fallback(after: .sapphireRapids, running: "Cooperlake", original: .prescott, cpu: xeon) == nil)
        // The request made things worse than OpenBLAS's own choice and nothing is left: go back.
        let zen4 = try Self.cpu("amd-epyc-zen4-family25-model17")
        #expect(BLASKernel.fallback(after: .haswell, running: "Prescott", original: .cooperlake, cpu: zen4) == .cooperlake)
    }

    @Test("status: who chose the running family, what SAETrack prefers, and a hint when the environment holds it back")
    func status() throws {
        let xeon = try Self.cpu("intel-xeon-family6-model207")
        let own = BLASKernel.status(running: "PRESCOTT", cpu: xeon, environment: [:])
        #expect(own.source == .openBLAS && own.running == "Prescott" && own.preferred == "SapphireRapids")
        #expect(own.reason.contains("reexecutingWithFasterKernelIfNeeded"))

        let chosen = BLASKernel.status(running: "Cooperlake", cpu: xeon, environment: [
            "OPENBLAS_CORETYPE": "Cooperlake", BLASKernel.chosenVariable: "Cooperlake",
            BLASKernel.originalVariable: "Prescott"])
        #expect(chosen.source == .saetrack && chosen.openBLASChoice == "Prescott")
        #expect(chosen.description.contains("OpenBLAS chose Prescott") && chosen.reason.contains("strongest family"))

        let forced = BLASKernel.status(running: "Haswell", cpu: try Self.cpu("amd-epyc-zen5-family26-model2"),
                                       environment: ["OPENBLAS_CORETYPE": "Haswell"])
        #expect(forced.source == .environment && forced.preferred == "Cooperlake")
        #expect(forced.reason.contains("OPENBLAS_CORETYPE=Haswell") && forced.reason.contains("unset it"))

        let optedOut = BLASKernel.status(running: "Cooperlake", cpu: try Self.cpu("amd-epyc-zen4-family25-model17"),
                                         environment: ["SAETRACK_BLAS_KERNEL": "default"])
        #expect(optedOut.source == .optedOut && optedOut.preferred == "Haswell")
        #expect(optedOut.reason.contains("would choose Haswell"))

        let best = BLASKernel.status(running: "Cooperlake", cpu: try Self.cpu("amd-epyc-zen5-family26-model2"), environment: [:])
        #expect(best.source == .openBLAS && best.preferred == "Cooperlake" && best.reason.contains("strongest"))

        let data = try JSONEncoder().encode(chosen)
        #expect(try JSONDecoder().decode(BLASKernel.Status.self, from: data) == chosen)
        #expect(String(decoding: data, as: UTF8.self).contains("\"openblas_choice\":\"Prescott\""))
    }

    @Test("this process: the status names the family OpenBLAS reports")
    func liveStatus() {
        let status = BLASKernel.status
        #expect(status.running.lowercased() == BLASKernel.current.lowercased())
        #expect(!status.reason.isEmpty)
    }
}
