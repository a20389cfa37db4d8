import Foundation
import SAETrackCore

/// The forward pass, loss and gradients of an acausal cross-snapshot crosscoder
/// (Docs/Method.md §5.7), on one batch of the same B tokens seen by every
/// snapshot:
/// ```
/// pre  = b_enc + Σ_s x_s W_enc[s]                       (B, d_sae); x_s is (B, d_in)
/// f    = ReLU(pre)                         (L1)
///      = ReLU(pre) on the k·B largest ReLU(pre_bi)·n_i of the batch, else 0   (BatchTopK)
/// x̂_s  = f W_dec[s] + b_dec[s]
/// loss = Σ_s mean_b ‖x_bs − x̂_bs‖²  +  λ · mean_b Σ_i f_bi n_i   (the second term only for L1)
/// ```
/// with `n_i = Σ_s ‖W_dec[s,i]‖₂`. The encoder reads the raw activations (no `b_dec` subtracted),
/// as in Anthropic's crosscoder note and Minder et al.'s `CrossCoder`. Dense BLAS products
/// throughout; its oracle is a PyTorch autograd transcription (Tests/Fixtures/sae/generate_crosscoder.py).
public enum CrosscoderObjective {
    /// Reused buffers of one batch shape (allocated on first use, grown when the batch grows).
    public final class Workspace {
        var pre: [Float] = []          // (B, d_sae), then dL/dpre
        var code: [Float] = []         // (B, d_sae) f
        var gradCode: [Float] = []     // (B, d_sae) dL/df
        var error: [Float] = []        // (B, d_in) x̂_s − x_s, then 2/B of it
        var norms: [Float] = []        // (S, d_sae)
        public init() {}

        func reserve(batch: Int, dIn: Int, dSAE: Int, snapshots: Int) {
            if pre.count != batch * dSAE {
                pre = [Float](repeating: 0, count: batch * dSAE); code = pre; gradCode = pre
            }
            if error.count != batch * dIn { error = [Float](repeating: 0, count: batch * dIn) }
            if norms.count != snapshots * dSAE { norms = [Float](repeating: 0, count: snapshots * dSAE) }
        }
    }

    /// Loss terms of `inputs` (one (B, d_in) matrix per snapshot, the same B tokens in each), and,
    /// when `gradients` is given, the gradient of ``CrosscoderLossTerms/loss`` with respect to every
    /// parameter written into it (overwritten, same layout as `p`).
    public static func evaluate(_ p: CrosscoderParameters, inputs: [Matrix], sparsity: CrosscoderSparsity,
                                gradients: UnsafeMutablePointer<Float>? = nil, workspace: Workspace = Workspace()) -> CrosscoderLossTerms {
        let (S, d, m) = (p.snapshots, p.dIn, p.dSAE)
        precondition(inputs.count == S, "CrosscoderObjective: \(inputs.count) input matrices for \(S) snapshots")
        let B = inputs[0].rows
        precondition(B > 0 && inputs.allSatisfy { $0.rows == B && $0.cols == d }, "CrosscoderObjective: inputs must all be (B, \(d))")
        workspace.reserve(batch: B, dIn: d, dSAE: m, snapshots: S)
        let invB = 1 / Float(B)
        var msePer = [Float](repeating: 0, count: S), evPer = [Float](repeating: 0, count: S)
        var sparsityTerm: Float = 0
        var active = 0
        p.values.withUnsafeBufferPointer { vb in
        workspace.pre.withUnsafeMutableBufferPointer { preB in
        workspace.code.withUnsafeMutableBufferPointer { codeB in
        workspace.gradCode.withUnsafeMutableBufferPointer { gcB in
        workspace.error.withUnsafeMutableBufferPointer { errB in
        workspace.norms.withUnsafeMutableBufferPointer { normB in
            let v = vb.baseAddress!, pre = preB.baseAddress!, code = codeB.baseAddress!, gc = gcB.baseAddress!
            let err = errB.baseAddress!, norms = normB.baseAddress!
            let total = encode(p, inputs: inputs, sparsity: sparsity, values: v, pre: pre, code: code, norms: norms)
            if case let .l1(lambda) = sparsity {
                var acc: Double = 0
                for b in 0..<B {
                    let row = code + b * m
                    for i in 0..<m where row[i] > 0 { acc += Double(row[i]) * Double(total[i]) }
                }
                sparsityTerm = Float(Double(lambda) * acc / Double(B))
            }
            for t in 0..<(B * m) where code[t] > 0 { active += 1 }
            // Per snapshot: x̂_s = f W_dec[s] + b_dec[s]; error e_s = x̂_s − x_s.
            if gradients != nil { for t in 0..<(B * m) { gc[t] = 0 } }
            for s in 0..<S {
                let dec = v + p.wDecOffset(s), bDec = v + p.bDecOffset(s)
                for b in 0..<B { (err + b * d).update(from: bDec, count: d) }
                BLAS.gemm(.none, .none, m: B, n: d, k: m, a: code, lda: m, b: dec, ldb: d, beta: 1, c: err, ldc: d)
                var se: Double = 0, centred: Double = 0
                inputs[s].withUnsafeBufferPointer { xb in
                    let x = xb.baseAddress!
                    var mean = [Double](repeating: 0, count: d)
                    for b in 0..<B { for j in 0..<d { mean[j] += Double(x[b * d + j]) } }
                    for j in 0..<d { mean[j] /= Double(B) }
                    for b in 0..<B {
                        for j in 0..<d {
                            let t = b * d + j
                            err[t] -= x[t]
                            se += Double(err[t]) * Double(err[t])
                            let c = Double(x[t]) - mean[j]
                            centred += c * c
                        }
                    }
                }
                msePer[s] = Float(se / Double(B))
                evPer[s] = Float(1 - se / max(centred, Double(Float.leastNonzeroMagnitude)))
                guard let g = gradients else { continue }
                // dL/dx̂_s = (2/B) e_s.
                BLAS.scal(n: B * d, alpha: 2 * invB, x: err)
                // dW_dec[s] = fᵀ (2/B e_s);  db_dec[s] = Σ_b (2/B e_s);  dL/df += (2/B e_s) W_dec[s]ᵀ.
                BLAS.gemm(.transposed, .none, m: m, n: d, k: B, a: code, lda: m, b: err, ldb: d, beta: 0,
                          c: g + p.wDecOffset(s), ldc: d)
                let gbd = g + p.bDecOffset(s)
                for j in 0..<d { gbd[j] = 0 }
                for b in 0..<B { for j in 0..<d { gbd[j] += err[b * d + j] } }
                BLAS.gemm(.none, .transposed, m: B, n: m, k: d, a: err, lda: d, b: dec, ldb: d, beta: 1, c: gc, ldc: m)
            }
            guard let g = gradients else { return }
            if case let .l1(lambda) = sparsity {
                // d/df_bi of λ/B Σ f_bi n_i is λ n_i / B; d/dW_dec[s,i] is λ/B (Σ_b f_bi) W_dec[s,i]/‖W_dec[s,i]‖.
                let scale = lambda * invB
                var codeSum = [Float](repeating: 0, count: m)
                for b in 0..<B {
                    let row = code + b * m, grow = gc + b * m
                    for i in 0..<m {
                        grow[i] += scale * total[i]
                        codeSum[i] += row[i]
                    }
                }
                for s in 0..<S {
                    let dec = v + p.wDecOffset(s), gdec = g + p.wDecOffset(s)
                    for i in 0..<m {
                        let n = norms[s * m + i]
                        guard n > 0, codeSum[i] != 0 else { continue }
                        BLAS.axpy(n: d, alpha: scale * codeSum[i] / n, x: dec + i * d, y: gdec + i * d)
                    }
                }
            }
            // dL/dpre = dL/df where f > 0 (ReLU; BatchTopK's unselected latents are 0 and pass nothing).
            for t in 0..<(B * m) { pre[t] = code[t] > 0 ? gc[t] : 0 }
            let gbe = g + p.bEncOffset
            for i in 0..<m { gbe[i] = 0 }
            for b in 0..<B { for i in 0..<m { gbe[i] += pre[b * m + i] } }
            for s in 0..<S {
                inputs[s].withUnsafeBufferPointer { x in
                    BLAS.gemm(.transposed, .none, m: d, n: m, k: B, a: x.baseAddress!, lda: d, b: pre, ldb: m, beta: 0,
                              c: g + p.wEncOffset(s), ldc: m)
                }
            }
        } } } } } }
        let mse = msePer.reduce(0, +)
        return CrosscoderLossTerms(loss: mse + sparsityTerm, mse: mse, sparsity: sparsityTerm, l0: Float(active) * invB,
                                   msePerSnapshot: msePer, explainedVariancePerSnapshot: evPer)
    }

    /// The shared code of `inputs` (one (B, d_in) matrix per snapshot, already scaled), (B, d_sae)
    /// row-major: the forward of ``evaluate(_:inputs:sparsity:gradients:workspace:)`` up to `f`.
    public static func codes(_ p: CrosscoderParameters, inputs: [Matrix], sparsity: CrosscoderSparsity,
                             workspace: Workspace = Workspace()) -> Matrix {
        let B = inputs.first?.rows ?? 0
        precondition(inputs.count == p.snapshots && B > 0 && inputs.allSatisfy { $0.rows == B && $0.cols == p.dIn },
                     "CrosscoderObjective.codes: inputs must be \(p.snapshots) matrices of shape (B, \(p.dIn))")
        workspace.reserve(batch: B, dIn: p.dIn, dSAE: p.dSAE, snapshots: p.snapshots)
        p.values.withUnsafeBufferPointer { vb in
        workspace.pre.withUnsafeMutableBufferPointer { preB in
        workspace.code.withUnsafeMutableBufferPointer { codeB in
        workspace.norms.withUnsafeMutableBufferPointer { normB in
            _ = encode(p, inputs: inputs, sparsity: sparsity, values: vb.baseAddress!, pre: preB.baseAddress!, code: codeB.baseAddress!,
                       norms: normB.baseAddress!)
        } } } }
        return Matrix(rows: B, cols: p.dSAE, storage: Array(workspace.code[0..<(B * p.dSAE)]))
    }

    /// The encoder: decoder norms `norms[s·m + i] = ‖W_dec[s,i]‖`, `pre = b_enc + Σ_s x_s W_enc[s]`,
    /// `code = f` (ReLU, then BatchTopK's selection); returns `n_i = Σ_s ‖W_dec[s,i]‖`.
    private static func encode(_ p: CrosscoderParameters, inputs: [Matrix], sparsity: CrosscoderSparsity, values v: UnsafePointer<Float>,
                               pre: UnsafeMutablePointer<Float>, code: UnsafeMutablePointer<Float>,
                               norms: UnsafeMutablePointer<Float>) -> [Float] {
        let (S, d, m, B) = (p.snapshots, p.dIn, p.dSAE, inputs[0].rows)
        var total = [Float](repeating: 0, count: m)
        for s in 0..<S {
            let dec = v + p.wDecOffset(s)
            for i in 0..<m {
                let n = BLAS.nrm2(n: d, x: dec + i * d)
                norms[s * m + i] = n; total[i] += n
            }
        }
        for b in 0..<B { (pre + b * m).update(from: v + p.bEncOffset, count: m) }
        for s in 0..<S {
            inputs[s].withUnsafeBufferPointer { x in
                BLAS.gemm(.none, .none, m: B, n: m, k: d, a: x.baseAddress!, lda: d, b: v + p.wEncOffset(s), ldb: m,
                          beta: 1, c: pre, ldc: m)
            }
        }
        for t in 0..<(B * m) { code[t] = max(pre[t], 0) }
        if case let .batchTopK(k) = sparsity { selectBatchTopK(code: code, rows: B, cols: m, weights: total, keep: min(k * B, B * m)) }
        return total
    }

    /// BatchTopK over the batch: keeps `keep` entries of `code` (B, d_sae, already ReLU'd) with the
    /// largest scores `code_bi · weights_i`, zeroes the rest. Ties at the cutoff keep the smallest
    /// (row, latent), as `BatchTopKSelection` does.
    static func selectBatchTopK(code: UnsafeMutablePointer<Float>, rows: Int, cols: Int, weights: [Float], keep: Int) {
        let n = rows * cols
        guard keep < n else { return }
        guard keep > 0 else { for t in 0..<n { code[t] = 0 }; return }
        var scores = [Float](repeating: 0, count: n)
        for b in 0..<rows { for i in 0..<cols { scores[b * cols + i] = code[b * cols + i] * weights[i] } }
        let cutoff = BatchTopKSelection.kthLargest(scores, keep)
        var above = 0
        for t in 0..<n where scores[t] > cutoff { above += 1 }
        var tiesLeft = keep - above
        for t in 0..<n {
            if scores[t] > cutoff { continue }
            if scores[t] == cutoff && tiesLeft > 0 { tiesLeft -= 1; continue }
            code[t] = 0
        }
    }
}
