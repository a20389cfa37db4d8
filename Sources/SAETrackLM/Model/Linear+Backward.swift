import SAETrackCore

/// The training kernels of ``Linear``: a forward over raw parameter memory that can add into the
/// residual stream, and its backward beside it, one BLAS call per matmul.
///
/// The weight keeps the layout its checkpoint stores (``Linear/Layout``): `.outIn` computes `x·Wᵀ`,
/// `.inOut` computes `x·W`. Gradients accumulate (`+=`) into the caller's buffers, which the trainer
/// zeroes once per step (a tied weight adds up from two places).
extension Linear {
    /// `out (N, O) ← [out +] inp (N, I) · op(W) + b`.
    /// - Parameters:
    ///   - inp: (N, I) input rows.
    ///   - weight: (O, I) for `.outIn`, (I, O) for `.inOut`.
    ///   - bias: (O) or nil.
    ///   - out: (N, O), overwritten, or added to when `accumulate` (residual adds).
    static func forward(
        _ inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        out: UnsafeMutablePointer<Float>, rows n: Int, inputs i: Int, outputs o: Int,
        layout: Layout, accumulate: Bool = false
    ) {
        switch layout {
        case .outIn:
            BLAS.gemm(.none, .transposed, m: n, n: o, k: i, a: inp, lda: i, b: weight, ldb: i,
                      beta: accumulate ? 1 : 0, c: out, ldc: o)
        case .inOut:
            BLAS.gemm(.none, .none, m: n, n: o, k: i, a: inp, lda: i, b: weight, ldb: o,
                      beta: accumulate ? 1 : 0, c: out, ldc: o)
        }
        guard let bias else { return }
        Parallel.forEachChunk(n, minChunk: max(1, 16_384 / max(o, 1))) { range in
            for r in range {
                let row = out + r * o
                for j in 0..<o { row[j] += bias[j] }
            }
        }
    }

    /// Backward of ``forward(_:weight:bias:out:rows:inputs:outputs:layout:accumulate:)``.
    /// - Parameters:
    ///   - dOut: (N, O) gradient of the output.
    ///   - inp: (N, I) the forward input.
    ///   - weight: as in the forward.
    ///   - dInp: (N, I) gradient of the input: overwritten, or added to when `accumulateInput`; nil skips it.
    ///   - dWeight: same shape as `weight`, added to.
    ///   - dBias: (O), added to; nil when the projection has no bias.
    ///   - ones: (N) ones for the bias gradient's GEMV (the trainer keeps one such vector), or nil to
    ///     make one here.
    static func backward(
        dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        dInp: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
        rows n: Int, inputs i: Int, outputs o: Int, layout: Layout, accumulateInput: Bool = false,
        ones: UnsafePointer<Float>? = nil
    ) {
        if let dInp {
            backwardInput(dOut: dOut, weight: weight, dInp: dInp, rows: n, inputs: i, outputs: o, layout: layout,
                          accumulateInput: accumulateInput)
        }
        backwardWeights(dOut: dOut, inp: inp, dWeight: dWeight, dBias: dBias, rows: n, inputs: i, outputs: o,
                        layout: layout, ones: ones)
    }

    /// The input half of the backward: `dInp (N, I) [+]= dOut (N, O) · op(W)`; safe to call on
    /// disjoint row blocks from several threads.
    static func backwardInput(
        dOut: UnsafePointer<Float>, weight: UnsafePointer<Float>, dInp: UnsafeMutablePointer<Float>,
        rows n: Int, inputs i: Int, outputs o: Int, layout: Layout, accumulateInput: Bool = false
    ) {
        switch layout {
        case .outIn:    // dInp (N, I) = dOut (N, O) · W (O, I)
            BLAS.gemm(.none, .none, m: n, n: i, k: o, a: dOut, lda: o, b: weight, ldb: i,
                      beta: accumulateInput ? 1 : 0, c: dInp, ldc: i)
        case .inOut:    // dInp (N, I) = dOut (N, O) · Wᵀ (O, I)
            BLAS.gemm(.none, .transposed, m: n, n: i, k: o, a: dOut, lda: o, b: weight, ldb: o,
                      beta: accumulateInput ? 1 : 0, c: dInp, ldc: i)
        }
    }

    /// The parameter half of the backward over all N rows: `dW += ` (dOutᵀ·inp or inpᵀ·dOut) and
    /// `dBias += Σ_n dOut[n]` (a GEMV against `ones`, made here when nil).
    static func backwardWeights(
        dOut: UnsafePointer<Float>, inp: UnsafePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
        dBias: UnsafeMutablePointer<Float>?, rows n: Int, inputs i: Int, outputs o: Int, layout: Layout,
        ones: UnsafePointer<Float>? = nil
    ) {
        switch layout {
        case .outIn:    // dW (O, I) += dOutᵀ (O, N) · inp (N, I)
            BLAS.gemm(.transposed, .none, m: o, n: i, k: n, a: dOut, lda: o, b: inp, ldb: i,
                      beta: 1, c: dWeight, ldc: i)
        case .inOut:    // dW (I, O) += inpᵀ (I, N) · dOut (N, O)
            BLAS.gemm(.transposed, .none, m: i, n: o, k: n, a: inp, lda: i, b: dOut, ldb: o,
                      beta: 1, c: dWeight, ldc: o)
        }
        if let dBias {   // dB (O) += dOutᵀ (O, N) · 1 (N)
            if let ones {
                BLAS.gemv(.transposed, m: n, n: o, a: dOut, lda: o, x: ones, beta: 1, y: dBias)
            } else {
                let made = [Float](repeating: 1, count: n)
                made.withUnsafeBufferPointer { one in
                    BLAS.gemv(.transposed, m: n, n: o, a: dOut, lda: o, x: one.baseAddress!, beta: 1, y: dBias)
                }
            }
        }
    }
}
