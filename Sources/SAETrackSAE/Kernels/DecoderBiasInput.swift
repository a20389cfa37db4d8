import SAETrackCore

/// The encoder's input sae_in = x − b_dec (SAELens `process_sae_in` with `apply_b_dec_to_input`),
/// the one place this subtraction is written: inference (``SparseAutoencoder``), training
/// (``SAEObjective``) and the step benchmark all call it.
enum DecoderBiasInput {
    /// x − b_dec for every row, row-parallel (each element is one subtraction, so the result does
    /// not depend on the thread count).
    /// - Parameters:
    ///   - x: (B, d_in)
    ///   - bDec: (d_in)
    /// - Returns: (B, d_in)
    static func subtract(_ bDec: [Float], from x: Matrix) -> Matrix {
        let (b, d) = (x.rows, x.cols)
        precondition(bDec.count == d, "DecoderBiasInput: b_dec has \(bDec.count) entries, rows have \(d)")
        var saeIn = Matrix(uninitializedRows: b, cols: d)
        x.withUnsafeBufferPointer { xb in
            saeIn.withUnsafeMutableBufferPointer { s in
                bDec.withUnsafeBufferPointer { bd in
                    let (xp, sp, bp) = (xb.baseAddress!, s.baseAddress!, bd.baseAddress!)
                    Parallel.forEachChunk(b, minChunk: 64) { rows in
                        for r in rows { for j in 0..<d { sp[r * d + j] = xp[r * d + j] - bp[j] } }
                    }
                }
            }
        }
        return saeIn
    }
}
