import Testing
@testable import SAETrackCore

/// The decision table of ``BLASKernel/preferred(cpuInfo:current:)`` on real `/proc/cpuinfo` heads.
@Suite("BLAS kernel choice")
struct BLASKernelTests {
    static func cpuInfo(vendor: String, family: Int, flags: String) -> String {
        """
        processor\t: 0
        vendor_id\t: \(vendor)
        cpu family\t: \(family)
        model\t\t: 17
        flags\t\t: fpu sse sse2 \(flags)

        processor\t: 1
        vendor_id\t: SomethingElse
        """
    }

    @Test("Zen 4 running OpenBLAS's AVX-512 kernels gets the Haswell kernels")
    func zen4() {
        let info = Self.cpuInfo(vendor: "AuthenticAMD", family: 25, flags: "avx2 fma avx512f avx512bw")
        #expect(BLASKernel.preferred(cpuInfo: info, current: "Cooperlake") == "Haswell")
        #expect(BLASKernel.preferred(cpuInfo: info, current: "SkylakeX") == "Haswell")
        // Already on Haswell (or the user forced another family): nothing to change.
        #expect(BLASKernel.preferred(cpuInfo: info, current: "Haswell") == nil)
        #expect(BLASKernel.preferred(cpuInfo: info, current: "Zen") == nil)
    }

    @Test("Intel AVX-512, Zen 3, Zen 5 and unreadable cpuinfo keep OpenBLAS's choice")
    func others() {
        let intel = Self.cpuInfo(vendor: "GenuineIntel", family: 6, flags: "avx2 fma avx512f")
        #expect(BLASKernel.preferred(cpuInfo: intel, current: "SkylakeX") == nil)
        let zen3 = Self.cpuInfo(vendor: "AuthenticAMD", family: 25, flags: "avx2 fma")
        #expect(BLASKernel.preferred(cpuInfo: zen3, current: "Zen") == nil)
        let zen5 = Self.cpuInfo(vendor: "AuthenticAMD", family: 26, flags: "avx2 fma avx512f")
        #expect(BLASKernel.preferred(cpuInfo: zen5, current: "Cooperlake") == nil)
        #expect(BLASKernel.preferred(cpuInfo: nil, current: "Cooperlake") == nil)
        #expect(BLASKernel.preferred(cpuInfo: "garbage without fields", current: "Cooperlake") == nil)
    }
}
