import SAETrackCore

/// Decoder forward from sparse codes: x̂[b] = bias + Σ_{i active in b} f[b,i]·W_dec[i].
///
/// Row-parallel over the batch, one axpy of length d_in per stored entry: B·L0·d_in FMAs instead of
/// the dense B·d_sae·d_in. The result does not depend on the thread count.
package enum SparseDecoder {
    /// - Parameters:
    ///   - codes: (B, d_sae) CSR
    ///   - wDec: (d_sae, d_in)
    ///   - bias: (d_in) added to every row, or nil for none
    /// - Returns: (B, d_in)
    package static func decode(_ codes: SparseRows, wDec: Matrix, bias: [Float]?) -> Matrix {
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
                                            SIMDMath.axpy(val[e], wb + Int(ix[e]) * d, y, d)
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
    package static func decode(_ codes: SparseRows, columns: SparseColumns, wDec: Matrix, bias: [Float]?) -> Matrix {
        var none = Matrix(rows: 0, cols: wDec.cols)
        return decode(codes, columns: columns, wDec: wDec, bias: bias, prefixEnds: [], prefixes: &none)
    }

    /// The feature-major x̂, and on the way the reconstructions from nested feature prefixes
    /// (Matryoshka's inner levels): block h of `prefixes` (rows h·B ..< (h+1)·B) receives
    /// ```
    /// x̂_h[b] = bias + Σ_{i < prefixEnds[h], i active in b} f[b,i]·W_dec[i]          (B, d_in)
    /// ```
    /// copied from the running sum as the feature walk reaches `prefixEnds[h]`, so each equals the
    /// row-major decode of the first `prefixEnds[h]` features bit for bit, at no extra W_dec traffic.
    /// - Parameters:
    ///   - prefixEnds: P increasing feature bounds, each in 0...d_sae
    ///   - prefixes: (≥ P·B, d_in); rows past P·B are left as they are
    package static func decode(_ codes: SparseRows, columns: SparseColumns, wDec: Matrix, bias: [Float]?,
                              prefixEnds: [Int], prefixes: inout Matrix) -> Matrix {
        let (b, d, m) = (codes.rows, wDec.cols, wDec.rows)
        precondition(codes.cols == m && columns.colStart.count == m + 1,
                     "SparseDecoder: codes have \(codes.cols) features, W_dec has \(m) rows")
        precondition(bias == nil || bias!.count == d, "SparseDecoder: bias has \(bias!.count) entries, d_in is \(d)")
        precondition(zip(prefixEnds, prefixEnds.dropFirst()).allSatisfy { $0 < $1 }
                     && prefixEnds.allSatisfy { (0...m).contains($0) },
                     "SparseDecoder: prefix ends must increase within 0...d_sae")
        precondition(prefixes.cols == d && prefixes.rows >= prefixEnds.count * b,
                     "SparseDecoder: prefixes must be (\(prefixEnds.count) · \(b), \(d))")
        var out = Matrix(uninitializedRows: b, cols: d)                       // (B, d_in), every row written
        let biasValues = bias ?? [Float](repeating: 0, count: d)
        let ends = prefixEnds + [Int.max]                                     // a sentinel the walk never reaches
        out.withUnsafeMutableBufferPointer { o in
            prefixes.withUnsafeMutableBufferPointer { pb in
            wDec.withUnsafeBufferPointer { w in
                columns.colStart.withUnsafeBufferPointer { cs in
                    columns.row.withUnsafeBufferPointer { rowOf in
                        columns.entry.withUnsafeBufferPointer { entryOf in
                            codes.value.withUnsafeBufferPointer { val in
                                biasValues.withUnsafeBufferPointer { bv in
                                    let (ob, wb, pp) = (o.baseAddress!, w.baseAddress!, pb.baseAddress)
                                    Parallel.forEachChunk(b, minChunk: 64) { rows in
                                        for r in rows { (ob + r * d).update(from: bv.baseAddress!, count: d) }
                                        let (lo, hi) = (Int32(rows.lowerBound), Int32(rows.upperBound))
                                        // x̂_h of this thread's rows: the running sum as the walk reaches ends[h].
                                        var h = 0
                                        func snapshot(upTo i: Int) {
                                            while ends[h] <= i {
                                                (pp! + (h * b + rows.lowerBound) * d)
                                                    .update(from: ob + rows.lowerBound * d, count: rows.count * d)
                                                h += 1
                                            }
                                        }
                                        for i in 0..<m {
                                            snapshot(upTo: i)
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
                                                SIMDMath.axpy(val[Int(entryOf[k])], wi, ob + Int(rowOf[k]) * d, d)
                                                k += 1
                                            }
                                        }
                                        snapshot(upTo: m)
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
