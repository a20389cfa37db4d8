import SAETrackCore

/// The trainable tensors of a cross-snapshot crosscoder over S snapshots, in one flat buffer (so
/// that Adam, its moments and the gradients are each one vector with the same layout):
///
/// | tensor  | shape             | meaning                                              |
/// |---------|-------------------|------------------------------------------------------|
/// | `W_enc` | (S, d_in, d_sae)  | snapshot s's encoder; `pre = b_enc + Σ_s x_s W_enc[s]` |
/// | `b_enc` | (d_sae)           | the shared code's bias                                |
/// | `W_dec` | (S, d_sae, d_in)  | snapshot s's decoder; row `W_dec[s,i]` is latent i's direction at s |
/// | `b_dec` | (S, d_in)         | snapshot s's output bias                              |
///
/// Stored in that order, each row-major: a decoder row `W_dec[s,i]` is contiguous, so its norm
/// (the latent's strength at snapshot s, its formation curve over s) is one `nrm2`.
public struct CrosscoderParameters: Sendable, Equatable {
    /// S, the number of snapshots.
    public let snapshots: Int
    public let dIn: Int
    public let dSAE: Int
    /// All four tensors, in the order and layout above.
    public var values: [Float]

    /// Offset of `W_enc[s]` (d_in, d_sae) in ``values``.
    public func wEncOffset(_ s: Int) -> Int { s * dIn * dSAE }
    /// Offset of `b_enc`.
    public var bEncOffset: Int { snapshots * dIn * dSAE }
    /// Offset of `W_dec[s]` (d_sae, d_in).
    public func wDecOffset(_ s: Int) -> Int { bEncOffset + dSAE + s * dSAE * dIn }
    /// Offset of `b_dec[s]` (d_in).
    public func bDecOffset(_ s: Int) -> Int { bEncOffset + dSAE + snapshots * dSAE * dIn + s * dIn }
    /// Number of floats in ``values``: S·(2·d_in·d_sae + d_in) + d_sae.
    public static func count(snapshots: Int, dIn: Int, dSAE: Int) -> Int { snapshots * (2 * dIn * dSAE + dIn) + dSAE }

    /// All zeros (gradients, moments).
    public init(zerosWithSnapshots snapshots: Int, dIn: Int, dSAE: Int) {
        precondition(snapshots > 0 && dIn > 0 && dSAE > 0, "CrosscoderParameters: empty shape")
        self.snapshots = snapshots; self.dIn = dIn; self.dSAE = dSAE
        values = [Float](repeating: 0, count: Self.count(snapshots: snapshots, dIn: dIn, dSAE: dSAE))
    }

    /// From the four tensors, flat and row-major in the shapes of the table above.
    public init(snapshots: Int, dIn: Int, dSAE: Int, wEnc: [Float], bEnc: [Float], wDec: [Float], bDec: [Float]) {
        precondition(wEnc.count == snapshots * dIn * dSAE && bEnc.count == dSAE && wDec.count == snapshots * dSAE * dIn
                     && bDec.count == snapshots * dIn, "CrosscoderParameters: tensor sizes do not match (S, d_in, d_sae)")
        self.snapshots = snapshots; self.dIn = dIn; self.dSAE = dSAE
        values = wEnc + bEnc + wDec + bDec
    }

    /// From a flat buffer already in ``values``'s layout (a gradient, a saved crosscoder).
    public init(snapshots: Int, dIn: Int, dSAE: Int, values: [Float]) {
        precondition(values.count == Self.count(snapshots: snapshots, dIn: dIn, dSAE: dSAE),
                     "CrosscoderParameters: \(values.count) values for (S \(snapshots), d_in \(dIn), d_sae \(dSAE))")
        self.snapshots = snapshots; self.dIn = dIn; self.dSAE = dSAE; self.values = values
    }

    /// Seeded initialisation in the crosscoder convention (Anthropic's note; Minder et al.'s
    /// `init_with_transpose`): every decoder row `W_dec[s,i]` a normal draw rescaled to norm
    /// `decoderNorm`, each encoder its decoder's transpose (`W_enc[s] = W_dec[s]ᵀ`), biases zero.
    public static func initialised(snapshots: Int, dIn: Int, dSAE: Int, decoderNorm: Float, seed: UInt64) -> CrosscoderParameters {
        var p = CrosscoderParameters(zerosWithSnapshots: snapshots, dIn: dIn, dSAE: dSAE)
        var rng = SeededRandom(seed: seed)
        let decOffsets = (0..<snapshots).map(p.wDecOffset), encOffsets = (0..<snapshots).map(p.wEncOffset)
        p.values.withUnsafeMutableBufferPointer { v in
            let base = v.baseAddress!
            for s in 0..<snapshots {
                let dec = base + decOffsets[s], enc = base + encOffsets[s]
                rng.fillNormal(UnsafeMutableBufferPointer(start: dec, count: dSAE * dIn))
                for i in 0..<dSAE {
                    let row = dec + i * dIn
                    let n = BLAS.nrm2(n: dIn, x: row)
                    if n > 0 { BLAS.scal(n: dIn, alpha: decoderNorm / n, x: row) }
                    for j in 0..<dIn { enc[j * dSAE + i] = row[j] }        // W_enc[s][j, i] = W_dec[s][i, j]
                }
            }
        }
        return p
    }

    /// `‖W_dec[s,i]‖₂` as an (S, d_sae) matrix: row s holds every latent's decoder norm at snapshot s.
    public func decoderNorms() -> Matrix {
        var out = Matrix(rows: snapshots, cols: dSAE)
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for s in 0..<snapshots {
                    let dec = v.baseAddress! + wDecOffset(s)
                    for i in 0..<dSAE { o[s * dSAE + i] = BLAS.nrm2(n: dIn, x: dec + i * dIn) }
                }
            }
        }
        return out
    }

    /// One tensor's floats, copied out (`W_enc`, `b_enc`, `W_dec` or `b_dec` in the table's shape).
    public func tensor(_ name: CrosscoderTensor) -> [Float] {
        let range: Range<Int>
        switch name {
        case .wEnc: range = 0..<bEncOffset
        case .bEnc: range = bEncOffset..<(bEncOffset + dSAE)
        case .wDec: range = wDecOffset(0)..<bDecOffset(0)
        case .bDec: range = bDecOffset(0)..<values.count
        }
        return Array(values[range])
    }

    /// The shape of one tensor.
    public func shape(_ name: CrosscoderTensor) -> [Int] {
        switch name {
        case .wEnc: return [snapshots, dIn, dSAE]
        case .bEnc: return [dSAE]
        case .wDec: return [snapshots, dSAE, dIn]
        case .bDec: return [snapshots, dIn]
        }
    }
}

/// The four tensors of a crosscoder, by the names its safetensors file uses.
public enum CrosscoderTensor: String, Sendable, CaseIterable {
    case wEnc = "W_enc", bEnc = "b_enc", wDec = "W_dec", bDec = "b_dec"
}
