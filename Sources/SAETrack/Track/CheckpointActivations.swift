import Foundation
import SAETrackCore
import SAETrackSAE

/// One LM pass over a checkpoint, shared by the chain stage, its baseline and its evaluation
/// (so the language model runs once per checkpoint).
public struct CheckpointActivations {
    /// Training activations, (N_train, d_in); (0, d_in) when the provider streams them (``stream``).
    public var train: Matrix
    /// Streamed training activations: the checkpoint's LM over the training token rows, block by
    /// block, from the first row (a track with ``TrackStream`` trains through a
    /// `MixingActivationStore` over it). Nil when the provider returns ``train`` in memory.
    public var stream: AnyActivationProducer?
    /// Held-out evaluation activations, (N_eval, d_in).
    public var eval: Matrix
    /// SHA-256 of the checkpoint's weights (integrity record), if known.
    public var weightsSHA256: String?
    /// Next-token losses on the evaluation rows: clean, with the hook replaced by the SAE's
    /// reconstruction, and zero-ablated. Nil when no language model is attached.
    public var spliceLosses: ((SparseAutoencoder) throws -> (clean: Double, reconstructed: Double, zeroAblated: Double))?

    public init(train: Matrix, eval: Matrix, weightsSHA256: String? = nil,
                spliceLosses: ((SparseAutoencoder) throws -> (clean: Double, reconstructed: Double, zeroAblated: Double))? = nil,
                stream: AnyActivationProducer? = nil) {
        self.stream = stream
        self.train = train; self.eval = eval; self.weightsSHA256 = weightsSHA256; self.spliceLosses = spliceLosses
    }
}

/// Produces a checkpoint's activations at the track's hook. `LMActivationProvider` runs a
/// Hugging Face checkpoint on a token file; tests plug in synthetic activation streams.
public protocol CheckpointActivationProvider {
    /// Activations of the checkpoint at `step` stored in `checkpoint`.
    func activations(step: Int, checkpoint: URL) throws -> CheckpointActivations
}
