import Foundation
import SAETrackCore
import SAETrackSAE

/// Held-out metrics of an SAE on an activation matrix, computed in row chunks through the SAE's
/// own encode (its activation and input normalisation; codes stay sparse).
public enum StageEvaluation {
    /// Evaluates `sae` on `x` (N, d_in). `l1Coefficient` weights the L1 term of the reported loss.
    /// The MSE normaliser uses the evaluation set's mean (SAE-Track uses the batch mean).
    public static func evaluate(_ sae: SparseAutoencoder, on x: Matrix, l1Coefficient: Double,
                                chunkRows: Int = 1024) -> (metrics: StageMetrics, firing: [Float]) {
        let (n, d, m) = (x.rows, x.cols, sae.dSAE)
        precondition(d == sae.dIn, "StageEvaluation: activations have d_in \(d), SAE has \(sae.dIn)")
        // Column means of x, (d)
        var mean = [Double](repeating: 0, count: d)
        x.withUnsafeBufferPointer { p in
            for r in 0..<n { for j in 0..<d { mean[j] += Double(p[r * d + j]) } }
        }
        for j in 0..<d { mean[j] /= Double(max(n, 1)) }
        var fired = [Float](repeating: 0, count: m)
        var sqErr = 0.0, variance = 0.0, mseNorm = 0.0, l1 = 0.0, active = 0.0, ratio = 0.0
        var start = 0
        while start < n {
            let rows = min(chunkRows, n - start)
            let chunk = x.rows(start..<(start + rows))                // (rows, d)
            let (f, xHat) = sae.encodeAndReconstruct(chunk)            // (rows, m) sparse, (rows, d)
            chunk.withUnsafeBufferPointer { xp in
                xHat.withUnsafeBufferPointer { hp in
                    for r in 0..<rows {
                        var err = 0.0, cen = 0.0, nx = 0.0, nh = 0.0
                        for j in 0..<d {
                            let xv = Double(xp[r * d + j]), hv = Double(hp[r * d + j])
                            err += (hv - xv) * (hv - xv)
                            cen += (xv - mean[j]) * (xv - mean[j])
                            nx += xv * xv; nh += hv * hv
                        }
                        sqErr += err; variance += cen
                        mseNorm += err / max(cen.squareRoot(), 1e-12) / Double(d)
                        ratio += nh.squareRoot() / max(nx.squareRoot(), 1e-12)
                        for e in f.rowStart[r]..<f.rowStart[r + 1] {
                            active += 1; l1 += Double(f.value[e]); fired[Int(f.index[e])] += 1
                        }
                    }
                }
            }
            start += rows
        }
        let count = Double(max(n, 1))
        let mse = mseNorm / count
        let metrics = StageMetrics(loss: mse + l1Coefficient * l1 / count, mse: mse, l0: active / count,
                                   explainedVariance: 1 - sqErr / max(variance, 1e-30),
                                   deadFraction: Double(fired.filter { $0 == 0 }.count) / Double(max(m, 1)),
                                   l2Ratio: ratio / count)
        return (metrics, fired.map { $0 / Float(count) })
    }
}
