import SAETrackCore

/// Decoder forward from sparse codes: x̂[b] = bias + Σ_{i active in b} f[b,i]·W_dec[i].
///
/// Row-parallel over the batch, one axpy of length d_in per stored entry: B·L0·d_in FMAs instead of
/// the dense B·d_sae·d_in. The result does not depend on the thread count.
public enum SparseDecoder {
    /// - Parameters:
    ///   - codes: (B, d_sae) CSR
    ///   - wDec: (d_sae, d_in)
    ///   - bias: (d_in) added to every row, or nil for none
    /// - Returns: (B, d_in)
    public static func decode(_ codes: SparseActivations, wDec: Matrix, bias: [Float]?) -> Matrix {
        let (b, d) = (codes.rows, wDec.cols)
        precondition(codes.cols == wDec.rows, "SparseDecoder: codes have \(codes.cols) features, W_dec has \(wDec.rows) rows")
        precondition(bias == nil || bias!.count == d, "SparseDecoder: bias has \(bias!.count) entries, d_in is \(d)")
        var out = Matrix(rows: b, cols: d)                                    // (B, d_in)
        let biasValues = bias ?? [Float](repeating: 0, count: d)
        out.withUnsafeMutableBufferPointer { o in
            wDec.withUnsafeBufferPointer { w in
                codes.rowStart.withUnsafeBufferPointer { rs in
                    codes.index.withUnsafeBufferPointer { ix in
                        codes.value.withUnsafeBufferPointer { val in
                            biasValues.withUnsafeBufferPointer { bv in
                                let (ob, wb) = (o.baseAddress!, w.baseAddress!)
                                Parallel.forEachChunk(b, minChunk: 8) { range in
                                    for r in range {
                                        let y = ob + r * d
                                        y.update(from: bv.baseAddress!, count: d)
                                        for e in rs[r]..<rs[r + 1] {
                                            VectorOps.axpy(val[e], wb + Int(ix[e]) * d, y, d)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
