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
        var out = Matrix(uninitializedRows: b, cols: d)                       // (B, d_in), every row written
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

    /// The same x̂, feature-major: each thread owns a block of batch rows and walks the features in
    /// order, reading each active W_dec row once and adding it into the rows of its block that use
    /// it. Every row still sums its features in increasing index order, so the result equals
    /// ``decode(_:wDec:bias:)`` bit for bit; but W_dec (75 MB at d_sae 24576) is streamed once
    /// instead of gathered B·L0 times, and the gathers hit the (B, d_in) output, which stays in cache.
    /// - Parameter columns: `codes.columns()` (rows ascending within each feature).
    public static func decode(_ codes: SparseActivations, columns: SparseColumns, wDec: Matrix, bias: [Float]?) -> Matrix {
        let (b, d, m) = (codes.rows, wDec.cols, wDec.rows)
        precondition(codes.cols == m && columns.colStart.count == m + 1,
                     "SparseDecoder: codes have \(codes.cols) features, W_dec has \(m) rows")
        precondition(bias == nil || bias!.count == d, "SparseDecoder: bias has \(bias!.count) entries, d_in is \(d)")
        var out = Matrix(uninitializedRows: b, cols: d)                       // (B, d_in), every row written
        let biasValues = bias ?? [Float](repeating: 0, count: d)
        out.withUnsafeMutableBufferPointer { o in
            wDec.withUnsafeBufferPointer { w in
                columns.colStart.withUnsafeBufferPointer { cs in
                    columns.row.withUnsafeBufferPointer { rowOf in
                        columns.entry.withUnsafeBufferPointer { entryOf in
                            codes.value.withUnsafeBufferPointer { val in
                                biasValues.withUnsafeBufferPointer { bv in
                                    let (ob, wb) = (o.baseAddress!, w.baseAddress!)
                                    Parallel.forEachChunk(b, minChunk: 64) { rows in
                                        for r in rows { (ob + r * d).update(from: bv.baseAddress!, count: d) }
                                        let (lo, hi) = (Int32(rows.lowerBound), Int32(rows.upperBound))
                                        for i in 0..<m {
                                            // First entry of feature i at a row ≥ lo (rows ascending).
                                            var k = cs[i]
                                            let end = cs[i + 1]
                                            if k == end { continue }
                                            if rowOf[k] < lo {
                                                var (a, z) = (k, end)
                                                while a < z { let mid = (a + z) / 2; if rowOf[mid] < lo { a = mid + 1 } else { z = mid } }
                                                k = a
                                            }
                                            let wi = wb + i * d
                                            while k < end, rowOf[k] < hi {
                                                VectorOps.axpy(val[Int(entryOf[k])], wi, ob + Int(rowOf[k]) * d, d)
                                                k += 1
                                            }
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
