import Foundation
import SAETrackCore
import SAETrackIO

/// The direct effect of a feature's decoder direction on the next-token logits at one checkpoint
/// (SAEDashboard's logit tables): the direction is mean-centred over d_model (the final LayerNorm
/// removes the mean), scaled by the final LayerNorm's weight γ and unembedded:
///
/// ```
/// logits[v] = Σ_j U[v, j] · γ_j · (d_j − mean(d))        U: (vocab, d_model) unembedding
/// ```
///
/// This is TransformerLens's `W_dec @ W_U` with `fold_ln=True` (γ folded into W_U); centring
/// W_U over the vocabulary (`center_unembed`) only shifts every logit equally, so the ranking
/// is the same.
public struct LogitLens: Sendable {
    /// (vocab, d_model) unembedding with γ folded in: U[v, j] · γ_j.
    public let unembedding: Matrix

    /// From an unembedding (vocab, d_model) and the final LayerNorm's weight (d_model).
    public init(unembedding: Matrix, lnWeight: [Float]) {
        precondition(lnWeight.count == unembedding.cols, "LogitLens: LayerNorm weight has \(lnWeight.count) entries, unembedding \(unembedding.cols) columns")
        var u = unembedding
        let (rows, d) = (u.rows, u.cols)
        u.withUnsafeMutableBufferPointer { p in
            for v in 0..<rows { for j in 0..<d { p[v * d + j] *= lnWeight[j] } }
        }
        self.unembedding = u
    }

    /// From a Hugging Face model directory (GPT-2 or GPT-NeoX; tied heads use the input embedding).
    public init(modelDirectory url: URL) throws {
        let dir = try ModelDirectory(url)
        let w = try dir.loadWeights()
        let (head, embed, ln): (String, String, String)
        switch dir.config {
        case .gpt2: (head, embed, ln) = ("lm_head.weight", "wte.weight", "ln_f.weight")
        case .gptNeoX: (head, embed, ln) = ("embed_out.weight", "gpt_neox.embed_in.weight", "gpt_neox.final_layer_norm.weight")
        }
        guard let u = w[head] ?? w[embed], let g = w[ln] else {
            throw TrackError.invalidCheckpoints("\(url.path): no unembedding (\(head)) or final LayerNorm (\(ln)) for the logit lens")
        }
        self.init(unembedding: u, lnWeight: g.storage)
    }

    /// Logits of `direction` (d_model) over the vocabulary.
    public func logits(_ direction: [Float]) -> [Float] {
        precondition(direction.count == unembedding.cols, "LogitLens: direction has \(direction.count) entries, d_model is \(unembedding.cols)")
        let mean = direction.reduce(0, +) / Float(max(1, direction.count))
        let centred = Matrix(rows: direction.count, cols: 1, storage: direction.map { $0 - mean })     // (d, 1)
        var out = Matrix(rows: unembedding.rows, cols: 1)                                           // (V, 1)
        BLAS.gemm(unembedding, centred, into: &out)
        return out.storage
    }

    /// The `k` highest and `k` lowest logits of `direction`: (token id, logit), best first / most negative first.
    /// Ties go to the lower token id.
    public func extremes(_ direction: [Float], k: Int) -> (top: [(Int32, Float)], bottom: [(Int32, Float)]) {
        let l = logits(direction)
        let order = l.indices.sorted { l[$0] != l[$1] ? l[$0] > l[$1] : $0 < $1 }
        let top = order.prefix(k).map { (Int32($0), l[$0]) }
        let bottomOrder = l.indices.sorted { l[$0] != l[$1] ? l[$0] < l[$1] : $0 < $1 }
        return (top, bottomOrder.prefix(k).map { (Int32($0), l[$0]) })
    }
}
