import Testing
import SAETrackCore
@testable import SAETrackSAE

/// The feature-block encoder (every training step's encoder) against the row-chunk path it
/// replaced and against dense references, for every selection and extra.
struct FeatureBlockEncoderTests {
    func random(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
        var rng = SeededRandom(seed: seed)
        var m = Matrix(rows: rows, cols: cols)
        m.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        return m
    }

    /// 37 rows, three feature blocks (the last ragged), d_in 13; a few percent of entries positive.
    func problem() -> (x: Matrix, wEncT: Matrix, bEnc: [Float]) {
        let (b, m, d) = (37, 2 * SparseEncoder.featureBlock + 52, 13)
        var rng = SeededRandom(seed: 21)
        return (random(b, d, seed: 22), random(m, d, seed: 23), (0..<m).map { _ in rng.uniform(-2.5, 0.5) })
    }

    func chunked(_ x: Matrix, _ w: Matrix, _ bias: [Float], _ activation: SAEActivation, dead: [Int32] = [],
                 auxK: Int = 0, batchTopK: Int = 0, bandwidth: Float = 0) -> SparseEncoder.Output {
        SparseEncoder.encodeChunked(saeIn: x, weights: w, transposed: true, bEnc: bias, activation: activation,
                                    chunkRows: 8, deadFeatures: dead, gatherDeadPre: false, auxK: auxK,
                                    batchTopK: batchTopK, bandwidth: bandwidth, workspace: nil)
    }

    func expectSame(_ a: SparseRows?, _ b: SparseRows?, _ what: String) {
        guard let a, let b else { Issue.record("\(what): missing"); return }
        #expect(a.rowStart == b.rowStart && a.index == b.index, "\(what): different entries")
        #expect(maxRelativeError(a.value, b.value) <= 1e-5, "\(what): different values")   // GEMM blocking differs
    }

    @Test("TopK, JumpReLU (with its straight-through window), BatchTopK and AuxK codes equal the row-chunk path's, on 1–3 threads",
          arguments: [1, 2, 3])
    func selectionsMatchRowChunks(threads: Int) {
        let (x, w, bias) = problem()
        let m = bias.count
        let dead = (0..<m).filter { $0 % 7 == 3 }.map(Int32.init)
        var rng = SeededRandom(seed: 24)
        let theta = (0..<m).map { _ in rng.uniform(-0.2, 0.6) }
        Threads.withCount(threads) {
            let ws = SAEStepWorkspace()
            for _ in 0..<2 {                                                    // the second call reuses the workspace
                let topk = SparseEncoder.encode(saeIn: x, wEncT: w, bEnc: bias, activation: .topK(5), deadFeatures: dead,
                                                auxK: 4, workspace: ws)
                let ref = chunked(x, w, bias, .topK(5), dead: dead, auxK: 4)
                expectSame(topk.codes, ref.codes, "TopK")
                expectSame(topk.auxCodes, ref.auxCodes, "AuxK")
                #expect(topk.codes.nnz == 5 * x.rows && topk.auxCodes!.nnz == 4 * x.rows)
            }
            let jump = SparseEncoder.encode(saeIn: x, wEncT: w, bEnc: bias, activation: .jumpReLU(threshold: theta), bandwidth: 0.3)
            let jumpRef = chunked(x, w, bias, .jumpReLU(threshold: theta), bandwidth: 0.3)
            expectSame(jump.codes, jumpRef.codes, "JumpReLU")
            expectSame(jump.thresholdWindow, jumpRef.thresholdWindow, "straight-through window")
            #expect(jump.thresholdWindow!.nnz > 0 && jump.codes.nnz > 0)
            for total in [1, 50, 37 * 6] {
                let batch = SparseEncoder.encode(saeIn: x, wEncT: w, bEnc: bias, activation: .relu, batchTopK: total)
                expectSame(batch.codes, chunked(x, w, bias, .relu, batchTopK: total).codes, "BatchTopK \(total)")
                #expect(batch.codes.nnz == total)
            }
        }
    }

    @Test("exact ties: BatchTopK keeps the smallest (row, feature) whatever the offering order; TopK keeps what the per-row heap keeps")
    func ties() {
        // W_enc = 0: every row's pre-activations are b_enc exactly, so values tie across rows and features.
        let (b, m, d) = (9, SparseEncoder.featureBlock + 40, 3)
        let x = random(b, d, seed: 25)
        let w = Matrix(rows: m, cols: d)
        let bias = (0..<m).map { Float($0 % 5) * 0.25 }                         // 0, .25, .5, .75, 1 repeating
        for threads in [1, 2] {
            Threads.withCount(threads) {
                for total in [3, 100, 500] {
                    let got = SparseEncoder.encode(saeIn: x, wEncT: w, bEnc: bias, activation: .relu, batchTopK: total).codes
                    // Reference: sort by value descending, then row, then feature.
                    var all: [(Float, Int, Int)] = []
                    for r in 0..<b { for i in 0..<m where bias[i] > 0 { all.append((bias[i], r, i)) } }
                    all.sort { ($0.0 > $1.0) || ($0.0 == $1.0 && ($0.1, $0.2) < ($1.1, $1.2)) }
                    var expected = Set<Int>()
                    for e in all.prefix(total) { expected.insert(e.1 * m + e.2) }
                    var kept = Set<Int>()
                    for r in 0..<b { for e in got.rowStart[r]..<got.rowStart[r + 1] { kept.insert(r * m + Int(got.index[e])) } }
                    #expect(kept == expected, "total \(total), threads \(threads)")
                    expectSame(got, chunked(x, w, bias, .relu, batchTopK: total).codes, "BatchTopK ties \(total)")
                }
                let topk = SparseEncoder.encode(saeIn: x, wEncT: w, bEnc: bias, activation: .topK(7))
                expectSame(topk.codes, chunked(x, w, bias, .topK(7)).codes, "TopK ties")
            }
        }
    }
}
