import Testing
import SAETrackCore
@testable import SAETrackSAE

/// The sparse kernels against the dense computation they replace.
struct SparseKernelTests {
    /// Codes with a chosen number of active entries per row, including empty and all-active rows.
    func randomCodes(rows: Int, cols: Int, seed: UInt64) -> Matrix {
        var rng = SeededRandom(seed: seed)
        var f = Matrix(rows: rows, cols: cols)
        for r in 0..<rows {
            let active: Int
            switch r % 4 {
            case 0: active = 0
            case 1: active = cols
            case 2: active = 1 + rng.int(below: 3)
            default: active = rng.int(below: cols)
            }
            for i in rng.permutation(cols).prefix(active) { f[r, i] = rng.uniform(0.1, 2) }
        }
        return f
    }

    func random(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
        var rng = SeededRandom(seed: seed)
        var m = Matrix(rows: rows, cols: cols)
        m.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        return m
    }

    @Test("sparse decoder equals f·W_dec + b_dec (rows with L0 = 0, 1–3, random and all-active)",
          arguments: [1, 2])
    func decoderMatchesDense(threads: Int) {
        Threads.withCount(threads) {
            let f = randomCodes(rows: 21, cols: 37, seed: 2)
            let w = random(37, 19, seed: 3)
            let bias = (0..<19).map { Float($0) * 0.1 }
            let sparse = SparseDecoder.decode(SparseRows(dense: f), wDec: w, bias: bias)
            var dense = Matrix(rows: 21, cols: 19)
            for r in 0..<21 { for j in 0..<19 { dense[r, j] = bias[j] } }
            BLAS.gemm(f, w, beta: 1, into: &dense)
            #expect(maxRelativeError(sparse.storage, dense.storage) <= 1e-5)
        }
    }

    @Test("feature-major decoder (CSC) equals the dense product, and the row-major decoder bit for bit",
          arguments: [1, 2, 3])
    func featureMajorDecoderMatchesDense(threads: Int) {
        Threads.withCount(threads) {
            // 200 rows: three row blocks of ≥ 64 at 3 threads, so blocks start mid-column.
            let f = randomCodes(rows: 200, cols: 37, seed: 12)
            let w = random(37, 19, seed: 13)
            let bias = (0..<19).map { Float($0) * 0.1 }
            let codes = SparseRows(dense: f)
            let featureMajor = SparseDecoder.decode(codes, columns: codes.columns(), wDec: w, bias: bias)
            #expect(featureMajor == SparseDecoder.decode(codes, wDec: w, bias: bias))
            var dense = Matrix(rows: 200, cols: 19)
            for r in 0..<200 { for j in 0..<19 { dense[r, j] = bias[j] } }
            BLAS.gemm(f, w, beta: 1, into: &dense)
            #expect(maxRelativeError(featureMajor.storage, dense.storage) <= 1e-5)
            let noBias = SparseDecoder.decode(codes, columns: codes.columns(), wDec: w, bias: nil)
            #expect(noBias == SparseDecoder.decode(codes, wDec: w, bias: nil))
        }
    }

    @Test("prefix decode: block h is the decode of features < ends[h] (dense product; row-major bit for bit)",
          arguments: [1, 2, 3])
    func prefixDecoderMatchesMaskedDecode(threads: Int) {
        Threads.withCount(threads) {
            let (b, m, d) = (200, 37, 19)
            let f = randomCodes(rows: b, cols: m, seed: 14)
            let w = random(m, d, seed: 15)
            let bias = (0..<d).map { Float($0) * 0.1 - 0.5 }
            let codes = SparseRows(dense: f)
            let ends = [0, 5, 6, 17, 37]                                   // empty, one feature, all
            var prefixes = Matrix(rows: (ends.count + 1) * b, cols: d)     // one spare block, left alone
            for t in (ends.count * b * d)..<prefixes.count { prefixes.storage[t] = 7 }
            let full = SparseDecoder.decode(codes, columns: codes.columns(), wDec: w, bias: bias,
                                            prefixEnds: ends, prefixes: &prefixes)
            #expect(full == SparseDecoder.decode(codes, wDec: w, bias: bias))
            for (h, end) in ends.enumerated() {
                var masked = f
                for r in 0..<b { for i in end..<m { masked[r, i] = 0 } }
                let block = prefixes.rows((h * b)..<((h + 1) * b))
                #expect(block == SparseDecoder.decode(SparseRows(dense: masked), wDec: w, bias: bias), "end \(end)")
                var dense = Matrix(rows: b, cols: d)
                for r in 0..<b { for j in 0..<d { dense[r, j] = bias[j] } }
                BLAS.gemm(masked, w, beta: 1, into: &dense)
                #expect(maxRelativeError(block.storage, dense.storage) <= 1e-5, "end \(end)")
            }
            #expect(prefixes.storage[(ends.count * b * d)...].allSatisfy { $0 == 7 })
        }
    }

    @Test("sparse backward equals the dense fᵀY, sae_inᵀ·dpre, Σ dpre with dpre = (Y·W_decᵀ + c) ⊙ 1[f≠0]",
          arguments: [1, 2])
    func backwardMatchesDense(threads: Int) {
        Threads.withCount(threads) {
            let (b, m, d) = (21, 37, 19)
            let f = randomCodes(rows: b, cols: m, seed: 4)
            let y = random(b, d, seed: 5), x = random(b, d, seed: 6), w = random(m, d, seed: 7)
            let c = (0..<m).map { Float($0) * 0.01 }
            let codes = SparseRows(dense: f)
            var gDec = Matrix(rows: m, cols: d, repeating: 9), gEnc = Matrix(rows: m, cols: d, repeating: 9)
            var gB = [Float](repeating: 9, count: m)
            SparseBackward.accumulate(codes: codes, columns: codes.columns(), upstream: y, saeIn: x, wDec: w,
                                      featureConstant: c, gradWDec: &gDec, gradWEncT: &gEnc, gradBEnc: &gB, overwrite: true)
            // Dense reference.
            var dpre = BLAS.matmul(y, w, transposeB: true)                        // (B, m)
            for r in 0..<b { for i in 0..<m { dpre[r, i] = f[r, i] != 0 ? dpre[r, i] + c[i] : 0 } }
            let refDec = BLAS.matmul(f, transposeA: true, y)                      // (m, d)
            let refEnc = BLAS.matmul(dpre, transposeA: true, x)                   // (m, d) = (xᵀ dpre)ᵀ
            let refB = (0..<m).map { i in (0..<b).reduce(Float(0)) { $0 + dpre[$1, i] } }
            #expect(maxRelativeError(gDec.storage, refDec.storage) <= 1e-5)
            #expect(maxRelativeError(gEnc.storage, refEnc.storage) <= 1e-5)
            #expect(maxRelativeError(gB, refB) <= 1e-5)
        }
    }

    @Test("in-cache ReLU encoder (feature blocks, ragged last block) equals the dense encoder and the chunked path",
          arguments: [1, 2, 3])
    func inCacheEncoderMatchesDense(threads: Int) {
        Threads.withCount(threads) {
            let (b, m, d) = (37, 2 * SparseEncoder.featureBlock + 52, 13)
            var rng = SeededRandom(seed: 14)
            let bEnc = (0..<m).map { _ in rng.uniform(-2.5, 0.5) }                  // a few percent fire
            let sae = SparseAutoencoder(wEnc: random(d, m, seed: 15), bEnc: bEnc,
                                        wDec: random(m, d, seed: 16), bDec: [Float](repeating: 0, count: d))
            let x = random(b, d, seed: 17)
            let p = SAEParameters(sae)
            let codes = SparseEncoder.encodeReLUInCache(saeIn: x, wEncT: p.wEncT, bEnc: p.bEnc)
            #expect(maxRelativeError(codes.dense().storage, denseReLUReference(sae, x).storage) <= 1e-5)
            #expect(codes.nnz > b && codes.nnz < b * m / 2)
            for r in 0..<b {                                                         // features increase along each row
                let row = codes.index[codes.rowStart[r]..<codes.rowStart[r + 1]]
                #expect(zip(row, row.dropFirst()).allSatisfy { $0 < $1 })
            }
            // The chunked path (taken when dead-feature pre-activations are gathered) gives the same codes.
            let chunked = SparseEncoder.encode(saeIn: x, wEncT: p.wEncT, bEnc: p.bEnc, activation: .relu, chunkRows: 8,
                                               deadFeatures: [0], gatherDeadPre: true)
            #expect(chunked.codes.rowStart == codes.rowStart && chunked.codes.index == codes.index)
            #expect(maxRelativeError(chunked.codes.value, codes.value) <= 1e-6)
        }
    }

    @Test("sparse encoder equals dense ReLU((x − b_dec)·W_enc + b_enc) and TopK, for any chunk size")
    func encoderMatchesDense() {
        let (b, m, d) = (23, 41, 11)
        let sae = SparseAutoencoder(wEnc: random(d, m, seed: 8), bEnc: (0..<m).map { Float($0 % 5) * 0.2 - 0.5 },
                                    wDec: random(m, d, seed: 9), bDec: [Float](repeating: 0.1, count: d))
        let x = random(b, d, seed: 10)
        let dense = denseReLUReference(sae, x)
        #expect(maxRelativeError(sae.encode(x).dense().storage, dense.storage) <= 1e-5)
        var saeIn = x
        for r in 0..<b { for j in 0..<d { saeIn[r, j] -= 0.1 } }
        let p = SAEParameters(sae)
        for chunk in [1, 7, 64] {
            let out = SparseEncoder.encode(saeIn: saeIn, wEncT: p.wEncT, bEnc: p.bEnc, activation: .relu, chunkRows: chunk)
            #expect(maxRelativeError(out.codes.dense().storage, dense.storage) <= 1e-5)
        }
        let k = 5
        let topk = SparseEncoder.encode(saeIn: saeIn, wEncT: p.wEncT, bEnc: p.bEnc, activation: .topK(k), chunkRows: 8)
        for r in 0..<b {
            // pre-activations of the row, sorted: the kept entries are the k largest positive ones.
            var pre = [Float](repeating: 0, count: m)
            for i in 0..<m { var s = sae.bEnc[i]; for j in 0..<d { s += saeIn[r, j] * sae.wEnc[j, i] }; pre[i] = s }
            let threshold = pre.sorted(by: >)[k - 1]
            let kept = (topk.codes.rowStart[r]..<topk.codes.rowStart[r + 1]).map { Int(topk.codes.index[$0]) }
            #expect(Set(kept) == Set((0..<m).filter { pre[$0] >= threshold && pre[$0] > 0 }))
        }
    }

    @Test("SparseAutoencoder.encode stores exactly the non-zeros of f: ReLU, TopK with k = d_sae (plain and rescaled), JumpReLU")
    func encodeStoresOnlyNonZeros() {
        let (b, m, d) = (17, 24, 6)
        // b_enc of −1, −0.5 and 0 leaves many pre-activations ≤ 0, so f has zeros a TopK of k = d_sae must not store.
        let bEnc = (0..<m).map { Float($0 % 3) * 0.5 - 1 }
        let (wEnc, wDec, x) = (random(d, m, seed: 11), random(m, d, seed: 12), random(b, d, seed: 13))
        func sae(_ activation: SAEActivation, rescaled: Bool = false) -> SparseAutoencoder {
            SparseAutoencoder(wEnc: wEnc, bEnc: bEnc, wDec: wDec, bDec: [Float](repeating: 0, count: d), activation: activation,
                              rescalesActsByDecoderNorm: rescaled)
        }
        func codes(_ activation: SAEActivation, rescaled: Bool = false) -> SparseRows {
            sae(activation, rescaled: rescaled).encode(x, chunkRows: 5)
        }
        let relu = codes(.relu)
        #expect(relu.nnz > 0 && relu.nnz < b * m)
        #expect(maxRelativeError(relu.dense().storage, denseReLUReference(sae(.relu), x).storage) <= 1e-5)
        for (name, c) in [("relu", relu), ("topK", codes(.topK(m))), ("rescaled topK", codes(.topK(m), rescaled: true)),
                          ("jumpReLU", codes(.jumpReLU(threshold: [Float](repeating: 0.3, count: m))))] {
            #expect(c.value.allSatisfy { $0 > 0 }, "\(name)")
            #expect(c == SparseRows(dense: c.dense()), "\(name)")
        }
        // TopK over every feature is ReLU: the same entries, not k per row.
        let topK = codes(.topK(m))
        #expect(topK.rowStart == relu.rowStart && topK.index == relu.index)
        #expect(maxRelativeError(topK.value, relu.value) <= 1e-6)
    }
}
