import CSupport

/// 8-lane building blocks for the row kernels: reductions with independent partial sums (a scalar
/// `sum += x[i]` loop is one long dependency chain the compiler may not reorder) and `exp` for
/// 8 lanes. Single-threaded (safe inside ``Parallel`` loops); every function gives the same result
/// for the same row, whatever the thread count.
public enum SIMDMath {
    /// Σ x[i] over n elements (two 8-lane partial sums, then a fixed-order reduction).
    @inlinable @inline(__always)
    public static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        let r = UnsafeRawPointer(x)
        var i = 0
        while i + 16 <= n {
            a0 += r.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            a1 += r.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
            i += 16
        }
        var s = (a0 + a1).sum()
        while i < n { s += x[i]; i += 1 }
        return s
    }

    /// Σ (x[i] − c)² over n elements.
    @inlinable @inline(__always)
    public static func sumOfSquaredDeviations(_ x: UnsafePointer<Float>, _ n: Int, from c: Float) -> Float {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        let r = UnsafeRawPointer(x), cv = SIMD8<Float>(repeating: c)
        var i = 0
        while i + 16 <= n {
            let d0 = r.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - cv
            let d1 = r.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self) - cv
            a0 += d0 * d0
            a1 += d1 * d1
            i += 16
        }
        var s = (a0 + a1).sum()
        while i < n { let d = x[i] - c; s += d * d; i += 1 }
        return s
    }

    /// Σ x[i]·y[i] over n elements.
    @inlinable @inline(__always)
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
        var i = 0
        while i + 16 <= n {
            a0 += rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                * ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            a1 += rx.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
                * ry.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
            i += 16
        }
        var s = (a0 + a1).sum()
        while i < n { s += x[i] * y[i]; i += 1 }
        return s
    }

    /// max_i x[i] over n ≥ 1 elements.
    @inlinable @inline(__always)
    public static func max(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var i = 0
        var m = -Float.infinity
        if n >= 8 {
            let r = UnsafeRawPointer(x)
            var acc = r.loadUnaligned(as: SIMD8<Float>.self)
            i = 8
            while i + 8 <= n {
                let v = r.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                acc.replace(with: v, where: v .> acc)                   // (generic pointwiseMax does not inline)
                i += 8
            }
            m = acc.max()
        }
        while i < n { m = Swift.max(m, x[i]); i += 1 }
        return m
    }

    /// eˣ for 8 lanes (Cephes `expf`: x = n·ln 2 + r with |r| ≤ ½ ln 2, a degree-6 polynomial for
    /// eʳ, then 2ⁿ through the exponent bits). Relative error of a few ulp for x in [−87.3, 88.37];
    /// below that the result is 0, above it the result stays at e^88.37 ≈ 2.7e38 (never +∞).
    @inlinable @inline(__always)
    public static func exp(_ a: SIMD8<Float>) -> SIMD8<Float> {
        var x = a
        x.replace(with: SIMD8(repeating: 88.37626), where: x .> 88.37626)
        let underflow = x .< -87.3
        x.replace(with: SIMD8(repeating: -87.3), where: underflow)
        // n = round(x / ln 2) via the 1.5·2²³ trick (round to nearest, in float arithmetic).
        let shifter = SIMD8<Float>(repeating: 12582912)
        let nf = (x * 1.44269504088896341 + shifter) - shifter
        var r = x - nf * 0.693359375
        r = r - nf * -2.12194440e-4
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * (r * r) + r + 1
        // 2ⁿ: n + 127 in the exponent field.
        let n = unsafeBitCast(nf + shifter, to: SIMD8<Int32>.self) &- unsafeBitCast(shifter, to: SIMD8<Int32>.self)
        let pow2 = unsafeBitCast((n &+ 127) &<< 23, to: SIMD8<Float>.self)
        var result = p * pow2
        result.replace(with: SIMD8(repeating: 0), where: underflow)
        return result
    }

    /// Σ_j exp(scale·x[j] − m) over `count` elements, also writing each exp(scale·x[j] − m) to `out`
    /// when given (`out` may be `x`): the inner loop of a softmax or a cross-entropy. Runs 8-lane
    /// AVX2 + FMA code where the CPU has it (the Cephes polynomial of ``exp(_:)``, fused), libm
    /// `expf` otherwise; single-threaded.
    @inlinable @inline(__always)
    public static func expSum(_ x: UnsafePointer<Float>, scale: Float = 1, minus m: Float,
                              into out: UnsafeMutablePointer<Float>?, count: Int) -> Float {
        saetrack_exp_sum(x, scale, m, out, count)
    }

    /// x[j] ← a·x[j] over `count` elements (AVX2 where the CPU has it).
    @inlinable @inline(__always)
    public static func scale(_ x: UnsafeMutablePointer<Float>, by a: Float, count: Int) {
        saetrack_scale(x, a, count)
    }

    /// Whether ``expSum(_:scale:minus:into:count:)`` and the fused GELU run their AVX2 + FMA code here
    /// (on this CPU, and on this thread: see ``withKernelForm(_:_:)``).
    public static var usesAVX2: Bool { saetrack_has_avx2_fma() != 0 }

    /// Which form the C row kernels (``expSum(_:scale:minus:into:count:)``, ``scale(_:by:count:)``,
    /// the fused exact GELU) run.
    public enum KernelForm: String, Sendable, CaseIterable {
        /// The CPU's: AVX2 + FMA where it has both, the portable loops otherwise.
        case native
        /// The portable loops (libm `expf` / `erff`) on every CPU.
        case portable
    }

    /// The kernel form in effect on the calling thread.
    public static var kernelForm: KernelForm { saetrack_portable_vector_math() != 0 ? .portable : .native }

    /// Runs `body` with the row kernels in `form` on the calling thread and on the ``Parallel`` workers
    /// it starts; the previous form holds again when `body` returns. Other threads are not affected,
    /// so tests running concurrently keep their own form. Meant for tests of the portable fallback:
    ///
    /// ```swift
    /// let y = SIMDMath.withKernelForm(.portable) { GELU.forward(x, approximation: .exact) }
    /// ```
    public static func withKernelForm<R>(_ form: KernelForm, _ body: () throws -> R) rethrows -> R {
        let previous = saetrack_set_portable_vector_math(form == .portable ? 1 : 0)
        defer { _ = saetrack_set_portable_vector_math(previous) }
        return try body()
    }
}
