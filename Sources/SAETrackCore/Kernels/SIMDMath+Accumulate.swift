/// Accumulating vector primitives for the sparse SAE kernels: axpy forms that update one row
/// from one, two or four others in a single pass, two dot products sharing an operand, and a
/// squared distance. Single-threaded like the rest of ``SIMDMath`` (safe inside ``Parallel``
/// regions, where multi-threaded BLAS must not be used); the fused forms do the same float
/// operations in the same order as the separate calls, so they give the same bits.
extension SIMDMath {
    /// Σ (a[j] − b[j])² over n elements (16-wide partial sums, then a fixed-order reduction).
    @inlinable @inline(__always)
    package static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
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
    @inlinable @inline(__always)
    package static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
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
    @inlinable @inline(__always)
    package static func axpy2(_ a1: Float, _ x1: UnsafePointer<Float>, _ a2: Float, _ x2: UnsafePointer<Float>,
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
    /// y[j] = (((y[j] + a0·x0[j]) + a1·x1[j]) + a2·x2[j]) + a3·x3[j]: four ``axpy(_:_:_:_:)`` in one
    /// pass over y, with the same operations in the same order (bit-identical to the four calls).
    @inlinable @inline(__always)
    package static func axpy4(_ a0: Float, _ x0: UnsafePointer<Float>, _ a1: Float, _ x1: UnsafePointer<Float>,
                      _ a2: Float, _ x2: UnsafePointer<Float>, _ a3: Float, _ x3: UnsafePointer<Float>,
                      _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var j = 0
        let r0 = UnsafeRawPointer(x0), r1 = UnsafeRawPointer(x1), r2 = UnsafeRawPointer(x2), r3 = UnsafeRawPointer(x3)
        let ry = UnsafeMutableRawPointer(y)
        let s0 = SIMD8<Float>(repeating: a0), s1 = SIMD8<Float>(repeating: a1)
        let s2 = SIMD8<Float>(repeating: a2), s3 = SIMD8<Float>(repeating: a3)
        while j + 8 <= n {
            let o = j * 4
            var v = ry.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            v = v + s0 * r0.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            v = v + s1 * r1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            v = v + s2 * r2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            v = v + s3 * r3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
            ry.storeBytes(of: v, toByteOffset: o, as: SIMD8<Float>.self)
            j += 8
        }
        while j < n {
            var t = y[j]
            t += a0 * x0[j]; t += a1 * x1[j]; t += a2 * x2[j]; t += a3 * x3[j]
            y[j] = t
            j += 1
        }
    }

    /// (a0·b, a1·b) as two ``dot(_:_:_:)`` calls would give them (the same partial sums and
    /// reduction per product), reading b once.
    @inlinable @inline(__always)
    package static func dot2(_ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int)
        -> (Float, Float) {
        var p0 = SIMD8<Float>(), q0 = SIMD8<Float>(), p1 = SIMD8<Float>(), q1 = SIMD8<Float>()
        let r0 = UnsafeRawPointer(a0), r1 = UnsafeRawPointer(a1), rb = UnsafeRawPointer(b)
        var i = 0
        while i + 16 <= n {
            let (lo, hi) = (i * 4, (i + 8) * 4)
            let b0 = rb.loadUnaligned(fromByteOffset: lo, as: SIMD8<Float>.self)
            let b1 = rb.loadUnaligned(fromByteOffset: hi, as: SIMD8<Float>.self)
            p0 += r0.loadUnaligned(fromByteOffset: lo, as: SIMD8<Float>.self) * b0
            q0 += r0.loadUnaligned(fromByteOffset: hi, as: SIMD8<Float>.self) * b1
            p1 += r1.loadUnaligned(fromByteOffset: lo, as: SIMD8<Float>.self) * b0
            q1 += r1.loadUnaligned(fromByteOffset: hi, as: SIMD8<Float>.self) * b1
            i += 16
        }
        var s0 = (p0 + q0).sum(), s1 = (p1 + q1).sum()
        while i < n { s0 += a0[i] * b[i]; s1 += a1[i] * b[i]; i += 1 }
        return (s0, s1)
    }
}
