import Testing
import SAETrackCore
@testable import SAETrackSAE

/// The AVX and AVX-512 feature kernels of the sparse backward against the Swift loop: the same bits.
struct SparseBackwardKernelTests {
    func random(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
        var rng = SeededRandom(seed: seed)
        var m = Matrix(rows: rows, cols: cols)
        m.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        return m
    }

    @Test("AVX, AVX-512 (where the CPU has them) and Swift per-feature kernels give identical gradients, dpre and db_enc (d_in 37, 48, 56 and 768, 0–9 entries per feature, groups, accumulate)",
          .enabled(if: SparseBackward.FeatureKernel.avx.isAvailable), arguments: [37, 48, 56, 768])
    func avxMatchesSwift(d: Int) {
        let (b, m) = (29, 23)
        var rng = SeededRandom(seed: 31)
        var f = Matrix(rows: b, cols: m)
        for i in 0..<m { for r in rng.permutation(b).prefix(i % 10) { f[r, i] = rng.uniform(0.1, 2) } }
        let codes = SparseActivations(dense: f)
        let cols = codes.columns()
        let x = random(b, d, seed: 32), w = random(m, d, seed: 33)
        let c = (0..<m).map { Float($0) * 0.01 - 0.1 }
        for groups in [nil, [7, m]] as [[Int]?] {
            let y = random(b * (groups?.count ?? 1), d, seed: 34)
            for overwrite in [true, false] {
                var results: [(Matrix, Matrix, [Float], [Float])] = []
                let kernels = SparseBackward.FeatureKernel.allCases.filter(\.isAvailable)
                for kernel in kernels {
                    var gDec = random(m, d, seed: 35), gEnc = random(m, d, seed: 36)
                    var gB = (0..<m).map { Float($0) }
                    var dpre = [Float](repeating: .nan, count: codes.nnz)
                    dpre.withUnsafeMutableBufferPointer { dp in
                        SparseBackward.accumulate(codes: codes, columns: cols, upstream: y, saeIn: x, wDec: w, featureConstant: c,
                                                  gradWDec: &gDec, gradWEncT: &gEnc, gradBEnc: &gB, overwrite: overwrite,
                                                  dPre: dp.baseAddress, upstreamGroupEnds: groups, kernel: kernel)
                    }
                    results.append((gDec, gEnc, gB, dpre))
                }
                let s = results[0]
                for (kernel, a) in zip(kernels, results).dropFirst() {
                    let what = "\(kernel), overwrite \(overwrite), groups \(String(describing: groups))"
                    #expect(s.0 == a.0 && s.1 == a.1, "weight gradients, \(what)")
                    #expect(s.2 == a.2 && s.3 == a.3, "db_enc / dpre, \(what)")
                }
                #expect(!s.3.contains { $0.isNaN })
            }
        }
    }
}
