import Testing
import SAETrackCore
@testable import SAETrackSAE

/// The AVX feature kernel of the sparse backward against the Swift loop: the same bits.
struct SparseBackwardKernelTests {
    func random(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
        var rng = SeededRandom(seed: seed)
        var m = Matrix(rows: rows, cols: cols)
        m.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        return m
    }

    @Test("AVX and Swift per-feature kernels give identical gradients, dpre and db_enc (d_in 37 and 48, 0–9 entries per feature, groups, accumulate)",
          .enabled(if: SparseBackward.hasAVX), arguments: [37, 48])
    func avxMatchesSwift(d: Int) {
        let (b, m) = (29, 23)
        var rng = SeededRandom(seed: 31)
        var f = Matrix(rows: b, cols: m)
        for i in 0..<m { for r in rng.permutation(b).prefix(i % 10) { f[r, i] = rng.uniform(0.1, 2) } }
        let codes = SparseRows(dense: f)
        let cols = codes.columns()
        let x = random(b, d, seed: 32), w = random(m, d, seed: 33)
        let c = (0..<m).map { Float($0) * 0.01 - 0.1 }
        for groups in [nil, [7, m]] as [[Int]?] {
            let y = random(b * (groups?.count ?? 1), d, seed: 34)
            for overwrite in [true, false] {
                var results: [(Matrix, Matrix, [Float], [Float])] = []
                for avx in [false, true] {
                    var gDec = random(m, d, seed: 35), gEnc = random(m, d, seed: 36)
                    var gB = (0..<m).map { Float($0) }
                    var dpre = [Float](repeating: .nan, count: codes.nnz)
                    dpre.withUnsafeMutableBufferPointer { dp in
                        SparseBackward.accumulate(codes: codes, columns: cols, upstream: y, saeIn: x, wDec: w, featureConstant: c,
                                                  gradWDec: &gDec, gradWEncT: &gEnc, gradBEnc: &gB, overwrite: overwrite,
                                                  dPre: dp.baseAddress, upstreamGroupEnds: groups, avx: avx)
                    }
                    results.append((gDec, gEnc, gB, dpre))
                }
                let (s, a) = (results[0], results[1])
                #expect(s.0 == a.0 && s.1 == a.1, "weight gradients, overwrite \(overwrite), groups \(String(describing: groups))")
                #expect(s.2 == a.2 && s.3 == a.3, "db_enc / dpre, overwrite \(overwrite), groups \(String(describing: groups))")
                #expect(!s.3.contains { $0.isNaN })
            }
        }
    }
}
