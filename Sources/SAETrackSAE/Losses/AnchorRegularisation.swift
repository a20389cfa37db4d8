import SAETrackCore

/// SAE-Track's optional anchor to the frozen previous SAE (Docs/Method.md §5.4, default off):
/// `λ·(‖W_enc − W_enc^prev‖²_F + ‖W_dec − W_dec^prev‖²_F)`, gradient `2λ(W − W^prev)`.
enum AnchorRegularisation {
    /// Adds `2λ(W − W^prev)` to the weight gradients and returns the un-weighted squared distance.
    static func apply(_ p: SAEParameters, previous q: SAEParameters, coefficient: Float,
                      gradients g: inout SAEParameters) -> Float {
        precondition(p.dIn == q.dIn && p.dSAE == q.dSAE, "AnchorRegularisation: previous SAE has another shape")
        func accumulate(_ w: Matrix, _ w0: Matrix, _ grad: inout Matrix) -> Double {
            var s: Double = 0
            grad.withUnsafeMutableBufferPointer { gb in
                w.withUnsafeBufferPointer { a in
                    w0.withUnsafeBufferPointer { c in
                        for t in a.indices {
                            let diff = a[t] - c[t]
                            s += Double(diff * diff)
                            gb[t] += 2 * coefficient * diff
                        }
                    }
                }
            }
            return s
        }
        return Float(accumulate(p.wEncT, q.wEncT, &g.wEncT) + accumulate(p.wDec, q.wDec, &g.wDec))
    }
}
