import SAETrackCore

/// The four trainable tensors in the trainer's layout, also used for their gradients and Adam moments.
///
/// The encoder is stored transposed, `wEncT` (d_sae, d_in), so that a feature's encoder and decoder
/// weights are both contiguous rows: the sparse backward pass then writes one encoder row and one
/// decoder row per active feature (`Kernels/SparseBackward.swift`).
public struct SAEParameters: Sendable, Equatable {
    /// (d_sae, d_in) = W_encᵀ
    public var wEncT: Matrix
    /// (d_sae)
    public var bEnc: [Float]
    /// (d_sae, d_in)
    public var wDec: Matrix
    /// (d_in)
    public var bDec: [Float]

    public var dIn: Int { wDec.cols }
    public var dSAE: Int { wDec.rows }

    /// All-zero tensors (gradients, moments).
    public init(zerosWithDIn dIn: Int, dSAE: Int) {
        wEncT = Matrix(rows: dSAE, cols: dIn)
        bEnc = [Float](repeating: 0, count: dSAE)
        wDec = Matrix(rows: dSAE, cols: dIn)
        bDec = [Float](repeating: 0, count: dIn)
    }

    public init(wEncT: Matrix, bEnc: [Float], wDec: Matrix, bDec: [Float]) {
        precondition(wEncT.rows == wDec.rows && wEncT.cols == wDec.cols && bEnc.count == wDec.rows && bDec.count == wDec.cols,
                     "SAEParameters: inconsistent shapes")
        self.wEncT = wEncT; self.bEnc = bEnc; self.wDec = wDec; self.bDec = bDec
    }

    /// The trainer layout of an SAE (transposes W_enc).
    public init(_ sae: SparseAutoencoder) {
        self.init(wEncT: sae.wEnc.transposed(), bEnc: sae.bEnc, wDec: sae.wDec, bDec: sae.bDec)
    }

    /// Back to SAELens orientation, as an SAE with the given activation (ReLU by default).
    public func autoencoder(activation: SAEActivation = .relu) -> SparseAutoencoder {
        SparseAutoencoder(wEnc: wEncT.transposed(), bEnc: bEnc, wDec: wDec, bDec: bDec, activation: activation)
    }

    /// SAE-Track's initialisation (Docs/Method.md §3.1), seeded: W_enc ~ U(±√(6/d_sae)) drawn as a
    /// (d_in, d_sae) tensor, W_dec ~ U(±√(6/d_in)) with unit-norm rows, b_enc = b_dec = 0.
    public static func kaimingUniform(dIn: Int, dSAE: Int, seed: UInt64) -> SAEParameters {
        var rng = SeededRandom(seed: seed)
        var p = SAEParameters(zerosWithDIn: dIn, dSAE: dSAE)
        var wEnc = Matrix(rows: dIn, cols: dSAE)                        // (d_in, d_sae), fan_in = d_sae
        let be = (6 / Float(dSAE)).squareRoot()
        wEnc.withUnsafeMutableBufferPointer { rng.fillUniform($0, -be, be) }
        p.wEncT = wEnc.transposed()
        let bd = (6 / Float(dIn)).squareRoot()                           // (d_sae, d_in), fan_in = d_in
        p.wDec.withUnsafeMutableBufferPointer { rng.fillUniform($0, -bd, bd) }
        p.normaliseDecoderRows()
        return p
    }

    /// SAELens's tied initialisation (`TrainingSAE.initialize_weights` with `decoder_init_norm`),
    /// seeded: W_dec ~ U(±√(6/d_in)) rescaled to rows of norm `decoderNorm`, W_enc = W_decᵀ,
    /// b_enc = b_dec = 0.
    public static func tied(dIn: Int, dSAE: Int, seed: UInt64, decoderNorm: Float) -> SAEParameters {
        var rng = SeededRandom(seed: seed)
        var p = SAEParameters(zerosWithDIn: dIn, dSAE: dSAE)
        let bd = (6 / Float(dIn)).squareRoot()
        p.wDec.withUnsafeMutableBufferPointer { rng.fillUniform($0, -bd, bd) }
        p.normaliseDecoderRows()
        p.wDec.withUnsafeMutableBufferPointer { w in for t in w.indices { w[t] *= decoderNorm } }
        p.wEncT = p.wDec                                                 // W_encᵀ = W_dec
        return p
    }

    /// W_dec[i] ← W_dec[i] / ‖W_dec[i]‖₂ for every row (SAE-Track `set_decoder_norm_to_unit_norm`).
    public mutating func normaliseDecoderRows() {
        let (d, m) = (dIn, dSAE)
        wDec.withUnsafeMutableBufferPointer { w in
            let base = w.baseAddress!
            Parallel.forEachChunk(m, minChunk: 256) { range in
                for i in range { Self.normaliseRow(base + i * d, d) }
            }
        }
    }

    /// row ← row / ‖row‖₂ over n elements.
    @inline(__always)
    static func normaliseRow(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
        let inv = 1 / SIMDMath.dot(row, row, n).squareRoot()
        for j in 0..<n { row[j] *= inv }
    }

    /// The same SAE with the decoder row norms folded into the weights, as SAELens saves a
    /// `rescale_acts_by_decoder_norm` SAE (`_fold_norm_topk` with `get_W_dec_norm`, 6.54.12): with
    /// n_i = max(‖W_dec[i]‖₂, 1e-8),
    /// ```
    /// W_enc[:, i] ← W_enc[:, i]·n_i    b_enc[i] ← b_enc[i]·n_i    W_dec[i] ← W_dec[i] / n_i
    /// ```
    /// so the folded pre-activations are the rescaled pre ⊙ n (what BatchTopK's threshold is in)
    /// and the folded decoder turns them back into the same reconstruction.
    public func foldingDecoderNorms() -> SAEParameters {
        let (d, m) = (dIn, dSAE)
        let norms = decoderRowNorms().map { max($0, 1e-8) }
        var out = self
        out.wEncT.withUnsafeMutableBufferPointer { we in
            out.wDec.withUnsafeMutableBufferPointer { wd in
                for i in 0..<m {
                    let n = norms[i]
                    for j in 0..<d { we[i * d + j] *= n; wd[i * d + j] /= n }
                }
            }
        }
        for i in 0..<m { out.bEnc[i] *= norms[i] }
        return out
    }

    /// ‖W_dec[i]‖₂ for every row, (d_sae).
    public func decoderRowNorms() -> [Float] {
        let d = dIn
        var out = [Float](repeating: 0, count: dSAE)
        wDec.withUnsafeBufferPointer { w in
            out.withUnsafeMutableBufferPointer { o in
                let (base, ob) = (w.baseAddress!, o.baseAddress!)
                Parallel.forEachChunk(dSAE, minChunk: 256) { range in
                    for i in range { ob[i] = SIMDMath.dot(base + i * d, base + i * d, d).squareRoot() }
                }
            }
        }
        return out
    }
}
