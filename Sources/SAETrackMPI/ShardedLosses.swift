import Foundation
import SAETrackCore
import SAETrackSAE

/// The dead-latent loss terms over a latent shard: each needs one (B, d) all-reduce of a partial
/// decode, then the per-token arithmetic is replicated on every rank and the gradients stay local.
enum ShardedLosses {
    /// Per-column mean of x (B, d) in Double, rows added in order (as the single-process objective).
    static func columnMeans(_ x: Matrix) -> [Float] {
        let sums = columnSums(x), n = Double(max(x.rows, 1))
        return sums.map { Float($0 / n) }
    }

    /// Per-column sums of x (B, d) in Double, rows added in order.
    static func columnSums(_ x: Matrix) -> [Double] {
        let (b, d) = (x.rows, x.cols)
        var acc = [Double](repeating: 0, count: d)
        x.withUnsafeBufferPointer { xb in
            acc.withUnsafeMutableBufferPointer { a in
                let (xp, ap) = (xb.baseAddress!, a.baseAddress!)
                Parallel.forEachChunk(d, minChunk: 64) { cols in
                    for r in 0..<b {
                        let row = xp + r * d
                        for j in cols { ap[j] += Double(row[j]) }
                    }
                }
            }
        }
        return acc
    }

    /// SAE-Track's ghost grads (the single-process `GhostGrads`) with the dead latents spread over
    /// the ranks: g = Σ_{dead i} exp(pre_i)·W_dec[i] is all-reduced, the scale, residual and loss
    /// are computed on every rank from the same bytes, and each rank back-propagates into its own
    /// dead latents. Returns the ghost loss.
    /// - Parameters:
    ///   - dead: this shard's dead latents (local ids, increasing); may be empty
    ///   - deadPre: (B, dead.count) their pre-activations, nil when `dead` is empty
    static func ghostGrads(dead: [Int32], deadPre: Matrix?, error e: Matrix, denominators: [Float], saeIn: Matrix,
                           wDec: Matrix, gradients g: inout SAEParameters, comm: MPICommunicator) throws -> Float {
        let (b, d) = (e.rows, e.cols)
        let (expPre, wDead) = GhostGrads.deadOperands(deadFeatures: dead, deadPre: deadPre ?? Matrix(rows: b, cols: 0), wDec: wDec)
        var ghostOut = dead.isEmpty ? Matrix(rows: b, cols: d) : BLAS.matmul(expPre, wDead)
        try comm.allreduceSum(&ghostOut.storage, kind: .ghost)
        let inv = 1 / Float(b * d)
        let (total, dGhost) = GhostGrads.outputGradient(error: e, ghostOut: ghostOut, denominators: denominators)
        GhostGrads.backward(dGhost: dGhost, expPre: expPre, wDead: wDead, deadFeatures: dead, saeIn: saeIn, gradients: &g)
        return Float(total) * inv
    }

    /// SAELens's TopK auxiliary loss over dead latents (the single-process `AuxKLoss`), with the
    /// selection `auxCodes` already global (``ShardedTopK``): the partial a·W_dec is all-reduced,
    /// the loss and upstream are replicated, the gradients stay in the shard. Returns the loss.
    static func auxK(auxCodes: SparseRows, deadCount: Int, coefficient: Float, error e: Matrix, saeIn: Matrix,
                     wDec: Matrix, gradients g: inout SAEParameters, comm: MPICommunicator) throws -> Float {
        let (b, d) = (e.rows, e.cols)
        let scale = min(Float(deadCount) / Float(d / 2), 1)
        let columns = auxCodes.columns()
        var diff = SparseDecoder.decode(auxCodes, columns: columns, wDec: wDec, bias: nil)
        try comm.allreduceSum(&diff.storage, kind: .ghost)
        var total: Double = 0
        diff.withUnsafeMutableBufferPointer { df in
            e.withUnsafeBufferPointer { eb in
                for t in df.indices {
                    df[t] += eb[t]
                    total += Double(df[t] * df[t])
                }
            }
        }
        let loss = coefficient * scale * Float(total / Double(b))
        var upstream = diff
        let factor = 2 * coefficient * scale / Float(b)
        upstream.withUnsafeMutableBufferPointer { u in for t in u.indices { u[t] *= factor } }
        SparseBackward.accumulate(codes: auxCodes, columns: columns, upstream: upstream, saeIn: saeIn, wDec: wDec,
                                  featureConstant: nil, gradWDec: &g.wDec, gradWEncT: &g.wEncT, gradBEnc: &g.bEnc,
                                  overwrite: false)
        return loss
    }
}
