import SAETrackCore

/// A sparse autoencoder in SAELens orientation.
///
/// ```
/// f  = ReLU((x − b_dec) · W_enc + b_enc)     (B, d_sae)
/// x̂  = f · W_dec + b_dec                      (B, d_in)
/// ```
public struct SparseAutoencoder: Sendable, Equatable {
    /// (d_in, d_sae)
    public var wEnc: Matrix
    /// (d_sae)
    public var bEnc: [Float]
    /// (d_sae, d_in); rows are feature directions.
    public var wDec: Matrix
    /// (d_in)
    public var bDec: [Float]

    public var dIn: Int { wEnc.rows }
    public var dSAE: Int { wEnc.cols }

    public init(wEnc: Matrix, bEnc: [Float], wDec: Matrix, bDec: [Float]) {
        precondition(bEnc.count == wEnc.cols && wDec.rows == wEnc.cols && wDec.cols == wEnc.rows && bDec.count == wEnc.rows,
                     "SparseAutoencoder: inconsistent shapes W_enc \(wEnc.shape), b_enc \(bEnc.count), W_dec \(wDec.shape), b_dec \(bDec.count)")
        self.wEnc = wEnc; self.bEnc = bEnc; self.wDec = wDec; self.bDec = bDec
    }

    /// Feature activations f for a batch x (B, d_in) → (B, d_sae). Dense encoder GEMM.
    public func encode(_ x: Matrix) -> Matrix {
        precondition(x.cols == dIn, "SparseAutoencoder.encode: input has \(x.cols) columns, d_in is \(dIn)")
        var centered = x                                            // (B, d_in)
        let (b, d) = (x.rows, dIn)
        centered.withUnsafeMutableBufferPointer { p in
            bDec.withUnsafeBufferPointer { bd in
                for r in 0..<b { for j in 0..<d { p[r * d + j] -= bd[j] } }
            }
        }
        var f = Matrix(rows: b, cols: dSAE)                         // (B, d_sae)
        BLAS.gemm(centered, wEnc, into: &f)
        let m = dSAE
        f.withUnsafeMutableBufferPointer { p in
            bEnc.withUnsafeBufferPointer { be in
                for r in 0..<b { for i in 0..<m { p[r * m + i] = max(0, p[r * m + i] + be[i]) } }
            }
        }
        return f
    }

    /// Reconstruction x̂ = f · W_dec + b_dec for codes f (B, d_sae) → (B, d_in).
    public func decode(_ f: Matrix) -> Matrix {
        precondition(f.cols == dSAE, "SparseAutoencoder.decode: codes have \(f.cols) columns, d_sae is \(dSAE)")
        var out = Matrix(rows: f.rows, cols: dIn)
        let d = dIn
        out.withUnsafeMutableBufferPointer { p in
            bDec.withUnsafeBufferPointer { bd in
                for r in 0..<f.rows { for j in 0..<d { p[r * d + j] = bd[j] } }
            }
        }
        BLAS.gemm(f, wDec, beta: 1, into: &out)
        return out
    }
}
