import Foundation
import Testing
@testable import SAETrackCore

/// The 8-lane helpers against Double-precision libm and plain Double sums.
@Suite("SIMD math")
struct SIMDMathTests {
    @Test("8-lane exp is within 3e-7 relative of Double exp on [−87, 88], 0 below −87.3, finite above")
    func expMatchesLibm() {
        var worst: Double = 0
        var x: Float = -87
        while x < 88.3 {
            let lanes = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0013 })
            let e = SIMDMath.exp(lanes)
            for l in 0..<8 {
                let ref = Foundation.exp(Double(lanes[l]))
                worst = max(worst, abs(Double(e[l]) - ref) / ref)
            }
            x += 0.0371
        }
        #expect(worst < 3e-7, "worst relative error \(worst)")
        let edge = SIMDMath.exp(SIMD8<Float>(-Float.infinity, -1000, -87.5, 0, 1, 89, 1000, .infinity))
        #expect(edge[0] == 0 && edge[1] == 0 && edge[2] == 0)
        #expect(edge[3] == 1 && abs(edge[4] - Float(M_E)) <= Float(M_E).ulp)
        #expect(edge[5].isFinite && edge[6].isFinite && edge[7].isFinite && edge[7] > 1e38)
    }

    @Test("expSum and scale match Double exp sums for every length 0…40 and a long row, with and without out",
          arguments: SIMDMath.KernelForm.allCases)
    func expSumMatchesDouble(_ form: SIMDMath.KernelForm) {
        SIMDMath.withKernelForm(form) { expSumMatchesDoubleBody() }
    }

    private func expSumMatchesDoubleBody() {
        var rng = SeededRandom(seed: 10)
        for n in Array(0...40) + [2048 + 5] {
            let x = rng.floats(n).map { $0 * 20 }
            let (scale, m): (Float, Float) = (0.7, 3)
            var out = [Float](repeating: -1, count: n)
            let s = x.withUnsafeBufferPointer { px in
                out.withUnsafeMutableBufferPointer { SIMDMath.expSum(px.baseAddress!, scale: scale, minus: m, into: $0.baseAddress!, count: n) }
            }
            let sNoOut = x.withUnsafeBufferPointer { SIMDMath.expSum($0.baseAddress!, scale: scale, minus: m, into: nil, count: n) }
            let refs = x.map { exp(Double(scale) * Double($0) - Double(m)) }
            let ref = refs.reduce(0, +)
            #expect(abs(Double(s) - ref) <= 1e-5 * max(ref, 1e-30), "n \(n): \(s) vs \(ref)")
            #expect(s == sNoOut)
            for (o, r) in zip(out, refs) { #expect(abs(Double(o) - r) <= 1e-6 * r + 1e-38) }
            var scaled = out
            scaled.withUnsafeMutableBufferPointer { SIMDMath.scale($0.baseAddress!, by: 0.25, count: n) }
            #expect(scaled == out.map { $0 * 0.25 })
        }
        // far below the exponent range: 0, never NaN
        let tiny: [Float] = [-1000, -200, -.infinity]
        #expect(tiny.withUnsafeBufferPointer { SIMDMath.expSum($0.baseAddress!, minus: 0, into: nil, count: 3) } == 0)
    }

    @Test("the portable form holds on this thread and its Parallel workers only, and is restored after")
    func kernelFormSwitch() {
        let native = SIMDMath.usesAVX2
        #expect(SIMDMath.kernelForm == .native)
        var rng = SeededRandom(seed: 11)
        let x = rng.floats(4096).map { $0 * 30 }
        func expRow() -> [Float] {
            var out = [Float](repeating: 0, count: x.count)
            x.withUnsafeBufferPointer { px in
                out.withUnsafeMutableBufferPointer { _ = SIMDMath.expSum(px.baseAddress!, minus: 0, into: $0.baseAddress!, count: x.count) }
            }
            return out
        }
        let nativeRow = expRow()
        let (portableRow, inside, workers) = SIMDMath.withKernelForm(.portable) { () -> ([Float], Bool, [Bool]) in
            var seen = [Bool](repeating: true, count: 2)
            seen.withUnsafeMutableBufferPointer { s in
                Threads.withCount(2) { Parallel.forEachPart(2) { s[$0] = SIMDMath.usesAVX2 || SIMDMath.kernelForm != .portable } }
            }
            return (expRow(), SIMDMath.usesAVX2, seen)
        }
        #expect(!inside && workers == [false, false], "AVX2 still in use inside withKernelForm(.portable)")
        #expect(SIMDMath.kernelForm == .native && SIMDMath.usesAVX2 == native, "form not restored")
        // the portable loops are libm expf: within a few ulp of Double exp, so the same values
        for (p, v) in zip(portableRow, x) { #expect(abs(Double(p) - exp(Double(v))) <= 2e-7 * exp(Double(v)) + 1e-38) }
        // where the CPU has AVX2 the two forms are different code (Cephes polynomial vs libm): some bits differ
        if native { #expect(portableRow != nativeRow, "the portable form computed the AVX2 form's bits") }
        #expect(expRow() == nativeRow)
    }

    @Test("sum, sum of squared deviations, dot and max match Double loops for every length 0…40")
    func reductions() {
        var rng = SeededRandom(seed: 9)
        for n in 0...40 {
            let x = rng.floats(n), y = rng.floats(n)
            let c: Float = 0.25
            let sum = x.reduce(0.0) { $0 + Double($1) }
            let dev = x.reduce(0.0) { $0 + (Double($1) - Double(c)) * (Double($1) - Double(c)) }
            let dot = zip(x, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            x.withUnsafeBufferPointer { px in
                y.withUnsafeBufferPointer { py in
                    let (p, q) = (px.baseAddress ?? UnsafePointer(bitPattern: 16)!, py.baseAddress ?? UnsafePointer(bitPattern: 16)!)
                    #expect(abs(Double(SIMDMath.sum(p, n)) - sum) < 1e-5, "n=\(n)")
                    #expect(abs(Double(SIMDMath.sumOfSquaredDeviations(p, n, from: c)) - dev) < 1e-5, "n=\(n)")
                    #expect(abs(Double(SIMDMath.dot(p, q, n)) - dot) < 1e-5, "n=\(n)")
                    if n > 0 { #expect(SIMDMath.max(p, n) == x.max()!, "n=\(n)") }
                }
            }
        }
    }
}
