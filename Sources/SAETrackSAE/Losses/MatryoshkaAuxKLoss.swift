import SAETrackCore

/// Matryoshka's per-level AuxK (SAELens 6.54.12 `use_matryoshka_aux_loss`,
/// `MatryoshkaBatchTopKTrainingSAE.calculate_matryoshka_aux_loss`): the dead latents of each level
/// reconstruct the residual of the prefix that ends with their own level, not of the whole SAE.
///
/// With level widths w_0 < … < w_{G−1} = d_sae, level h holding features [w_{h−1}, w_h) (w_{−1} = 0):
/// ```
/// n_h     = dead latents in level h            (levels with none are skipped)
/// k_h     = min(d_in / 2, n_h);  scale_h = min(n_h / (d_in / 2), 1)
/// a_h     = per token, the k_h largest pre-activations among level h's dead latents (not ReLU'd;
///           pre ⊙ ‖W_dec[i]‖ with the decoder-norm rescale, then divided by ‖W_dec[i]‖ to decode)
/// r_h     = (x − x̂_{w_h}).detach(),  x̂_{w_h} = b_dec + Σ_{i < w_h} f[b,i]·W_dec[i]   (x̂_{w_{G−1}} = x̂)
/// auxK    = coefficient · Σ_h scale_h · mean_b Σ_j (a_h·W_dec − r_h)²[b,j]          (no b_dec)
/// ```
/// Each level's term is ``AuxKLoss``'s with that level's selection, dead count and residual.
enum MatryoshkaAuxKLoss {
    /// Adds the gradients of every level's term into `gradients` and returns the summed loss.
    /// - Parameters:
    ///   - innerReconstructions: ((G−1)·B, d_in), block h (rows h·B ..< (h+1)·B) x̂_{w_h} for every
    ///     inner level h < G−1 (``SparseDecoder``'s prefix decode, as `MatryoshkaLoss` reads them)
    ///   - deadFeatures: increasing ids of the dead latents
    ///   - deadPre: (B, n_dead) their pre-activations (rescaled with the rescale), column t = `deadFeatures[t]`
    ///   - levels: G increasing widths ending at d_sae
    ///   - norms: ‖W_dec[i]‖ (d_sae) with the decoder-norm rescale, empty without
    ///   - x: (B, d_in) the batch
    ///   - error: (B, d_in) e = x̂ − x of the full reconstruction (the last level's residual, negated)
    ///   - saeIn: (B, d_in) x − b_dec
    static func apply(innerReconstructions: Matrix, deadFeatures: [Int32], deadPre: Matrix, levels: [Int], norms: [Float],
                      coefficient: Float, batch x: Matrix, error e: Matrix, saeIn: Matrix, wDec: Matrix,
                      gradients g: inout SAEParameters) -> Float {
        let (b, d, m) = (x.rows, x.cols, wDec.rows)
        precondition(levels.last == m && deadPre.rows == b && deadPre.cols == deadFeatures.count
                     && innerReconstructions.rows == (levels.count - 1) * b && innerReconstructions.cols == d,
                     "MatryoshkaAuxKLoss: levels must end at d_sae and the inner reconstructions and dead pre-activations match")
        var total: Float = 0
        var t0 = 0                                   // the level's first column in deadPre
        for (h, w) in levels.enumerated() {
            var t1 = t0                              // dead ids increase: level h's are columns t0..<t1
            while t1 < deadFeatures.count, Int(deadFeatures[t1]) < w { t1 += 1 }
            defer { t0 = t1 }
            let nDead = t1 - t0
            if nDead == 0 { continue }
            let kAux = min(d / 2, nDead)
            var aux = select(deadPre, columns: t0..<t1, features: deadFeatures, k: kAux, cols: m)
            if !norms.isEmpty {
                for e in 0..<aux.nnz { aux.value[e] /= norms[Int(aux.index[e])] }
            }
            // e_w = x̂_w − x; the full reconstruction's error for the last level.
            let levelError: Matrix
            if w == m {
                levelError = e
            } else {
                var partial = innerReconstructions.rows((h * b)..<((h + 1) * b))
                partial.withUnsafeMutableBufferPointer { pb in
                    x.withUnsafeBufferPointer { xb in for t in pb.indices { pb[t] -= xb[t] } }
                }
                levelError = partial
            }
            total += AuxKLoss.apply(auxCodes: aux, kAux: kAux, deadCount: nDead, coefficient: coefficient,
                                    error: levelError, saeIn: saeIn, wDec: wDec, gradients: &g)
        }
        return total
    }

    /// Per row, the k largest of `pre[:, columns]` (ties: the smaller feature id), as (B, cols) CSR
    /// codes over the features `features[columns]`.
    static func select(_ pre: Matrix, columns: Range<Int>, features: [Int32], k: Int, cols: Int) -> SparseRows {
        let (b, nDead) = (pre.rows, pre.cols)
        let blocks = RowBlocks(rows: b)
        pre.withUnsafeBufferPointer { pb in
            let base = pb.baseAddress!
            Parallel.forEachChunk(b, minChunk: 64) { rows in
                let top = TopKRows(rows: 1, k: k, positiveOnly: false)
                var counts: [Int] = [], index: [Int32] = [], value: [Float] = []
                for r in rows {
                    top.reset()
                    let row = base + r * nDead
                    for t in columns { top.offer(0, row[t], features[t]) }
                    counts.append(top.appendSorted(0, to: &index, &value))
                }
                blocks.store(start: rows.lowerBound, counts: counts, index: index, value: value)
            }
        }
        return blocks.assemble(cols: cols)
    }
}
