import SAETrackCore

/// A sparse autoencoder and what it computes, in SAELens orientation and with SAELens's semantics
/// (`SAE.encode` / `SAE.decode`, 6.54.12). For input rows x (B, d_in):
/// ```
/// x'     = normalise(x)                                   (``SAEInputNormalization``; `none`: x)
/// sae_in = x' − b_dec        (x' when appliesBDecToInput is false)
/// pre    = sae_in · W_enc + b_enc                         (B, d_sae)
/// pre   ← pre ⊙ ‖W_dec[i]‖₂        (rescalesActsByDecoderNorm, TopK only)
/// f      = activation(pre)                                (``SAEActivation``: ReLU, TopK, JumpReLU)
/// x̂'     = (f ⊘ ‖W_dec[i]‖₂) · W_dec + b_dec              (the division only with the rescale)
/// x̂      = denormalise(x̂')
/// ```
/// ``encode(_:chunkRows:)`` returns f as sparse codes, ``decode(_:)`` maps codes back (in the normalised
/// space, see there), ``reconstruct(_:chunkRows:)`` and ``encodeAndReconstruct(_:chunkRows:)`` do the whole round trip.
/// Every consumer — evaluation, CE recovered, metrics, analysis — goes through these.
public struct SparseAutoencoder: Sendable, Equatable {
    /// (d_in, d_sae)
    public var wEnc: Matrix
    /// (d_sae)
    public var bEnc: [Float]
    /// (d_sae, d_in); rows are feature directions.
    public var wDec: Matrix
    /// (d_in)
    public var bDec: [Float]
    /// The nonlinearity (SAELens `architecture`, `k`, `threshold`).
    public var activation: SAEActivation
    /// Subtract b_dec from the (normalised) input before encoding (SAELens `apply_b_dec_to_input`).
    public var appliesBDecToInput: Bool
    /// Per-row input normalisation (SAELens `normalize_activations`).
    public var inputNormalization: SAEInputNormalization
    /// Scale pre-activations by the decoder row norms before the TopK selection, and codes back by
    /// them before decoding (SAELens `rescale_acts_by_decoder_norm`; TopK only).
    public var rescalesActsByDecoderNorm: Bool

    public var dIn: Int { wEnc.rows }
    public var dSAE: Int { wEnc.cols }

    /// - Precondition: consistent shapes; a JumpReLU threshold of d_sae entries; k in 1...d_sae;
    ///   the decoder-norm rescale only with TopK. (Loading checks all of these with typed errors.)
    public init(wEnc: Matrix, bEnc: [Float], wDec: Matrix, bDec: [Float], activation: SAEActivation = .relu,
                appliesBDecToInput: Bool = true, inputNormalization: SAEInputNormalization = .none,
                rescalesActsByDecoderNorm: Bool = false) {
        precondition(bEnc.count == wEnc.cols && wDec.rows == wEnc.cols && wDec.cols == wEnc.rows && bDec.count == wEnc.rows,
                     "SparseAutoencoder: inconsistent shapes W_enc \(wEnc.shape), b_enc \(bEnc.count), W_dec \(wDec.shape), b_dec \(bDec.count)")
        switch activation {
        case .relu: break
        case .topK(let k): precondition(k >= 1 && k <= wEnc.cols, "SparseAutoencoder: k \(k) outside 1...\(wEnc.cols)")
        case .jumpReLU(let t): precondition(t.count == wEnc.cols, "SparseAutoencoder: \(t.count) thresholds for d_sae \(wEnc.cols)")
        }
        precondition(!rescalesActsByDecoderNorm || activation.k != nil,
                     "SparseAutoencoder: rescale_acts_by_decoder_norm is a TopK option")
        self.wEnc = wEnc; self.bEnc = bEnc; self.wDec = wDec; self.bDec = bDec
        self.activation = activation; self.appliesBDecToInput = appliesBDecToInput
        self.inputNormalization = inputNormalization; self.rescalesActsByDecoderNorm = rescalesActsByDecoderNorm
    }

    /// The same SAE with other weights of the same shapes (semantics kept).
    public func withWeights(wEnc: Matrix, bEnc: [Float], wDec: Matrix, bDec: [Float]) -> SparseAutoencoder {
        SparseAutoencoder(wEnc: wEnc, bEnc: bEnc, wDec: wDec, bDec: bDec, activation: activation,
                          appliesBDecToInput: appliesBDecToInput, inputNormalization: inputNormalization,
                          rescalesActsByDecoderNorm: rescalesActsByDecoderNorm)
    }

    /// Codes f of rows x (B, d_in) → (B, d_sae) CSR, features increasing within each row. Exactly the
    /// non-zeros of f are stored (every activation keeps only values > 0), so the codes equal
    /// `SparseRows(dense:)` of the dense f. The dense pre-activations exist only `chunkRows` rows at a time.
    public func encode(_ x: Matrix, chunkRows: Int = 1024) -> SparseRows {
        encodeKeepingNormalization(x, chunkRows: chunkRows).codes
    }

    /// x̂' for codes f (B, d_sae) → (B, d_in): a sparse gather-decode (B·L0·d_in work).
    /// With an input normalisation this is in the normalised space (SAELens keeps the per-row
    /// statistics of the last `encode` on the module; here ``reconstruct(_:chunkRows:)`` carries them).
    public func decode(_ codes: SparseRows) -> Matrix {
        precondition(codes.cols == dSAE, "SparseAutoencoder.decode: codes have \(codes.cols) features, d_sae is \(dSAE)")
        var codes = codes
        if rescalesActsByDecoderNorm {
            let norms = decoderRowNorms()
            for e in 0..<codes.nnz { codes.value[e] /= norms[Int(codes.index[e])] }
        }
        return SparseDecoder.decode(codes, wDec: wDec, bias: bDec)
    }

    /// x̂ = decode(encode(x)) for rows x (B, d_in) → (B, d_in), input normalisation undone.
    public func reconstruct(_ x: Matrix, chunkRows: Int = 1024) -> Matrix {
        encodeAndReconstruct(x, chunkRows: chunkRows).reconstruction
    }

    /// Codes and reconstruction of x (B, d_in) in one pass.
    public func encodeAndReconstruct(_ x: Matrix, chunkRows: Int = 1024) -> (codes: SparseRows, reconstruction: Matrix) {
        let (codes, inverse) = encodeKeepingNormalization(x, chunkRows: chunkRows)
        var xHat = decode(codes)
        if let inverse { SAEInputNormalization.restore(&xHat, with: inverse) }
        return (codes, xHat)
    }

    /// ‖W_dec[i]‖₂ for every feature, (d_sae).
    public func decoderRowNorms() -> [Float] {
        let d = dIn
        return wDec.withUnsafeBufferPointer { w in
            (0..<dSAE).map { i in SIMDMath.dot(w.baseAddress! + i * d, w.baseAddress! + i * d, d).squareRoot() }
        }
    }

    private func encodeKeepingNormalization(_ x: Matrix, chunkRows: Int) -> (codes: SparseRows, inverse: SAEInputNormalization.Inverse?) {
        precondition(x.cols == dIn, "SparseAutoencoder.encode: input has \(x.cols) columns, d_in is \(dIn)")
        let (normalised, inverse) = inputNormalization.normalise(x)
        let saeIn = appliesBDecToInput ? DecoderBiasInput.subtract(bDec, from: normalised) : normalised   // (B, d_in)
        var (w, b) = (wEnc, bEnc)
        if rescalesActsByDecoderNorm {
            // pre ⊙ n = sae_in·(W_enc diag n) + b_enc ⊙ n: fold the norms into the encoder once per call.
            let norms = decoderRowNorms()
            let m = dSAE
            w.withUnsafeMutableBufferPointer { p in
                for r in 0..<dIn { for i in 0..<m { p[r * m + i] *= norms[i] } }
            }
            for i in 0..<m { b[i] *= norms[i] }
        }
        let codes = SparseEncoder.encode(saeIn: saeIn, wEnc: w, bEnc: b, activation: activation,
                                         chunkRows: max(1, chunkRows)).codes
        return (codes, inverse)
    }
}
