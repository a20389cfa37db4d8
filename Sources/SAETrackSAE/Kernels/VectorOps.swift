import SAETrackCore

/// Single-threaded vector primitives for the sparse kernels (SIMD, safe to call inside
/// ``SAETrackCore/Parallel`` regions where multi-threaded BLAS must not be used).
enum VectorOps {
    /// Σ a[j]·b[j] over n elements: Core's ``SAETrackCore/SIMDMath/dot(_:_:_:)`` (16-wide partial
    /// sums, then a fixed-order reduction).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float { SIMDMath.dot(a, b, n) }

    /// Σ (a[j] − b[j])² over n elements (16-wide partial sums, then a fixed-order reduction).
    @inline(__always)
    static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var j = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while j + 16 <= n {
            let d0 = ra.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                - rb.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            let d1 = ra.loadUnaligned(fromByteOffset: (j + 8) * 4, as: SIMD8<Float>.self)
                - rb.loadUnaligned(fromByteOffset: (j + 8) * 4, as: SIMD8<Float>.self)
            acc0 += d0 * d0
            acc1 += d1 * d1
            j += 16
        }
        var s = (acc0 + acc1).sum()
        while j < n { let t = a[j] - b[j]; s += t * t; j += 1 }
        return s
    }

    /// y[j] += alpha·x[j] over n elements.
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var j = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let a = SIMD8<Float>(repeating: alpha)
        while j + 8 <= n {
            let v = ry.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                + a * rx.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            ry.storeBytes(of: v, toByteOffset: j * 4, as: SIMD8<Float>.self)
            j += 8
        }
        while j < n { y[j] += alpha * x[j]; j += 1 }
    }

    /// y[j] += a1·x1[j] + a2·x2[j] over n elements (two axpys fused, one pass over y).
    @inline(__always)
    static func axpy2(_ a1: Float, _ x1: UnsafePointer<Float>, _ a2: Float, _ x2: UnsafePointer<Float>,
                      _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var j = 0
        let r1 = UnsafeRawPointer(x1), r2 = UnsafeRawPointer(x2), ry = UnsafeMutableRawPointer(y)
        let s1 = SIMD8<Float>(repeating: a1), s2 = SIMD8<Float>(repeating: a2)
        while j + 8 <= n {
            let v = ry.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                + s1 * r1.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                + s2 * r2.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            ry.storeBytes(of: v, toByteOffset: j * 4, as: SIMD8<Float>.self)
            j += 8
        }
        while j < n { y[j] += a1 * x1[j] + a2 * x2[j]; j += 1 }
    }
}
