import Foundation
import SAETrackCore
import SAETrackIO
import SAETrackLM
import SAETrackSAE

/// Runs a Hugging Face checkpoint (GPT-2 or GPT-NeoX) over token rows once per checkpoint and
/// returns the hook's activations for SAE training and held-out evaluation, plus the
/// next-token losses needed for "CE recovered" (clean, SAE-spliced, zero-ablated).
///
/// Training rows and evaluation rows are disjoint row ranges of the same token matrix. With
/// ``streamBlockRows`` set, the training activations are not computed up front: the result's
/// ``CheckpointActivations/stream`` runs the LM over the training rows block by block as the
/// SAE consumes them (a streamed track, ``TrackStream``), so memory does not grow with the rows.
public struct LMActivationProvider: CheckpointActivationProvider {
    /// (rows, context) token ids, row-major.
    public let tokens: [Int32]
    public let context: Int
    public let trainRows: Range<Int>
    public let evalRows: Range<Int>
    public let hook: HookPoint
    public let centered: Bool
    /// Rows per LM forward call (bounds the LM's activation memory).
    public var batchRows = 16
    /// Evaluation rows used for the three next-token losses (each is a full forward).
    public var lossRows = 32
    /// Hash the checkpoint's weights for the integrity record in `track.json`.
    public var hashWeights = true
    /// Stream the training rows in LM calls of this many rows instead of materialising them (nil: in memory).
    public var streamBlockRows: Int?

    public init(tokens: [Int32], context: Int, trainRows: Range<Int>, evalRows: Range<Int>, hook: HookPoint, centered: Bool) {
        precondition(tokens.count % context == 0, "LMActivationProvider: token count is not a multiple of the context")
        self.tokens = tokens; self.context = context; self.trainRows = trainRows; self.evalRows = evalRows
        self.hook = hook; self.centered = centered
    }

    private func slice(_ rows: Range<Int>) -> [Int32] { Array(tokens[(rows.lowerBound * context)..<(rows.upperBound * context)]) }

    /// Hook activations of `rows`, (rows·context, d_model), in forward batches of `batchRows`.
    public func activations(of lm: TransformerLM, rows: Range<Int>) -> Matrix {
        var storage: [Float] = []
        storage.reserveCapacity(rows.count * context * lm.dModel)
        var start = rows.lowerBound
        while start < rows.upperBound {
            let n = min(batchRows, rows.upperBound - start)
            let a = lm.activations(tokens: slice(start..<(start + n)), rows: n, context: context, at: hook, centered: centered)
            storage.append(contentsOf: a.storage)                                          // (n*T, C)
            start += n
        }
        return Matrix(rows: rows.count * context, cols: lm.dModel, storage: storage)
    }

    public func activations(step: Int, checkpoint: URL) throws -> CheckpointActivations {
        let lm = try TransformerLM(directory: checkpoint)
        try lm.validate(hook)
        try lm.validate(tokens: tokens, rows: tokens.count / context, context: context)
        let sha = hashWeights ? try ModelDirectory(checkpoint).weightsSHA256() : nil
        var stream: AnyActivationProducer? = nil
        let train: Matrix
        if let blockRows = streamBlockRows {
            train = Matrix(rows: 0, cols: lm.dModel)
            stream = AnyActivationProducer(try LMActivationProducer(model: lm, tokens: slice(trainRows), rows: trainRows.count, context: context,
                                                                    hook: hook, centered: centered, includeBOS: true, storeBatchRows: blockRows))
        } else {
            train = activations(of: lm, rows: trainRows)                                  // (N_train, C)
        }
        let eval = activations(of: lm, rows: evalRows)                                    // (N_eval, C)
        for (m, rows) in [(train, trainRows), (eval, evalRows)] {
            try NonFiniteDataError.check(m, source: "\(checkpoint.path) at \(hook.name)", tensor: "activations",
                                         rowMeaning: "token (flat index over the token file's rows)",
                                         rowOffset: rows.lowerBound * context)
        }
        let lossRange = evalRows.lowerBound..<min(evalRows.upperBound, evalRows.lowerBound + lossRows)
        let lossTokens = slice(lossRange)
        let (hook, centered, context) = (self.hook, self.centered, self.context)
        let splice: (SparseAutoencoder) throws -> (clean: Double, reconstructed: Double, zeroAblated: Double) = { sae in
            let clean = lm.loss(tokens: lossTokens, rows: lossRange.count, context: context)
            let recon = lm.loss(tokens: lossTokens, rows: lossRange.count, context: context, replacing: hook, centered: centered) {
                sae.reconstruct($0)
            }
            let zero = lm.loss(tokens: lossTokens, rows: lossRange.count, context: context, replacing: hook, centered: centered) {
                Matrix(rows: $0.rows, cols: $0.cols)
            }
            return (Double(clean), Double(recon), Double(zero))
        }
        return CheckpointActivations(train: train, eval: eval, weightsSHA256: sha, spliceLosses: splice, stream: stream)
    }
}
