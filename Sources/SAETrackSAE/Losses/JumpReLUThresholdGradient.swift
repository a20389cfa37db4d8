import SAETrackCore

/// ∂loss/∂θ of a JumpReLU SAE through SAELens's straight-through estimators (6.54.12,
/// `JumpReLU.backward` and `Step.backward`). With the rectangle kernel R(u) = 1[−1/2 < u < 1/2],
/// bandwidth ε, upstream Y = ∂L/∂x̂ (B, d_in), h[b,i] the sparsity loss's own ∂/∂f (tanh; 0 otherwise,
/// `JumpReLUSparsityLoss`) and c_b/B its ∂/∂L0_b (step, quadratic; 0 for tanh), at each window entry
/// ```
/// ∂L/∂f[b,i]   = Y[b] · W_dec[i] + h[b,i]                (also where f[b,i] = 0)
/// t[b,i]       = R((pre[b,i] − θ_i)/ε) · ( −(θ_i/ε) · ∂L/∂f[b,i]  −  (1/ε) · c_b/B )
/// ∂L/∂θ_i      = Σ_b t[b,i]
/// ```
/// Both estimators depend on pre only through pre − θ, so with `ste_to_input` (SAELens
/// `jumprelu_ste_to_input`) they add −t[b,i] to ∂L/∂pre[b,i] at each window entry.
/// Each feature's terms are summed in increasing batch order in Double (feature-parallel), independent
/// of the threads.
enum JumpReLUThresholdGradient {
    /// - Parameters:
    ///   - window: (B, d_sae) the entries with −1/2 < (pre − θ)/ε < 1/2
    ///   - threshold: (d_sae) θ
    ///   - upstream: (B, d_in) Y
    ///   - wDec: (d_sae, d_in)
    ///   - rowL0Coefficient: (B) c_b, or empty
    ///   - windowCodeGradient: (window nnz) h at the window entries, or empty
    ///   - toInput: also return −t per window entry
    /// - Returns: ∂L/∂θ (d_sae), and with `toInput` the window's ∂L/∂pre additions
    static func compute(window: SparseRows, threshold: [Float], upstream: Matrix, wDec: Matrix,
                        bandwidth: Float, rowL0Coefficient: [Float], windowCodeGradient: [Float] = [],
                        toInput: Bool = false) -> (threshold: [Float], preGradient: SparseRows?) {
        let (b, d, m) = (window.rows, wDec.cols, wDec.rows)
        var acc = [Double](repeating: 0, count: m)
        var perEntry = [Float](repeating: 0, count: toInput ? window.nnz : 0)
        // Feature-parallel over the window's CSC view: each feature's terms are still added in
        // increasing batch order, so the result is the row-major loop's, on any thread count.
        let columns = window.columns()
        let stepTerms = (0..<b).map { r in
            rowL0Coefficient.isEmpty ? 0 : -Double(rowL0Coefficient[r]) / Double(b) / Double(bandwidth)
        }
        upstream.withUnsafeBufferPointer { y in wDec.withUnsafeBufferPointer { w in
        acc.withUnsafeMutableBufferPointer { ab in perEntry.withUnsafeMutableBufferPointer { pb in
        columns.colStart.withUnsafeBufferPointer { cs in columns.row.withUnsafeBufferPointer { rowOf in
        columns.entry.withUnsafeBufferPointer { entryOf in threshold.withUnsafeBufferPointer { th in
        windowCodeGradient.withUnsafeBufferPointer { h in stepTerms.withUnsafeBufferPointer { st in
            let (yp, wp, ap, pp) = (y.baseAddress!, w.baseAddress!, ab.baseAddress!, pb.baseAddress)
            let hasH = !h.isEmpty
            Parallel.forEachChunk(m, minChunk: 256) { features in
                for i in features {
                    var sum: Double = 0
                    let scale = -Double(th[i] / bandwidth)
                    for k in cs[i]..<cs[i + 1] {
                        let r = Int(rowOf[k]), e = Int(entryOf[k])
                        var g = SIMDMath.dot(yp + r * d, wp + i * d, d)
                        if hasH { g += h[e] }
                        let t = scale * Double(g) + st[r]
                        sum += t
                        if toInput { pp![e] = Float(-t) }
                    }
                    ap[i] = sum
                }
            }
        } } } } } } } } } }
        let pre = toInput ? SparseRows(rows: window.rows, cols: window.cols, rowStart: window.rowStart,
                                       index: window.index, value: perEntry) : nil
        return (acc.map { Float($0) }, pre)
    }
}
