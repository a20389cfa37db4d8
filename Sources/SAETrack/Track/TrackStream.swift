import Foundation
import SAETrackSAE

/// Which tokens a streamed track's stages read (``TrackStream/stageTokens``).
public enum StageTokens: String, Codable, Sendable, CaseIterable {
    /// Every stage (and baseline) restarts the stream at the first training row with the same
    /// store seed, so every checkpoint sees the same tokens in the same order — the authors' code,
    /// which reads the Pile from its first document in every run.
    case same
    /// Each stage continues the token stream where the previous stage stopped (fresh tokens until
    /// the token file wraps around); its store is seeded per stage. A baseline reads from where
    /// its chain stage started.
    case `continue`
}

/// Streamed training data for a track (`saetrack track --tokens-per-stage N`): instead of holding
/// `--train-rows` of activations in memory and reusing them at every checkpoint, each stage runs
/// its checkpoint's LM over the token rows block by block and trains through the paper's
/// half-refill mixing buffer (`MixingActivationStore` over an `LMActivationProducer`, the
/// store `train-sae` uses). Memory is bounded by the buffer (2 × ``halfBufferTokens`` activations),
/// not by the tokens per stage. The store's state (storage, served half, producer position) is part
/// of every saved trainer state, so a stage killed midway resumes bit-exactly.
public struct TrackStream: Codable, Equatable, Sendable {
    /// Training tokens per continual stage (sets its SAE steps: ⌈N / batch⌉; the first stage
    /// streams its own first-stage steps × batch).
    public var tokensPerStage: Int
    /// Half-buffer of the mixing store, in activations (the paper: 64 × 32 × 128 = 262,144).
    public var halfBufferTokens: Int
    /// Token rows per LM forward call (the paper's store batch: 32 rows of 128).
    public var storeBatchRows: Int
    public var stageTokens: StageTokens

    enum CodingKeys: String, CodingKey {
        case tokensPerStage = "tokens_per_stage", halfBufferTokens = "half_buffer_tokens"
        case storeBatchRows = "store_batch_rows", stageTokens = "stage_tokens"
    }

    public init(tokensPerStage: Int, halfBufferTokens: Int = 262_144, storeBatchRows: Int = 32, stageTokens: StageTokens = .same) {
        self.tokensPerStage = tokensPerStage; self.halfBufferTokens = halfBufferTokens
        self.storeBatchRows = storeBatchRows; self.stageTokens = stageTokens
    }

    /// SAE steps that consume `tokensPerStage` tokens in batches of `batchSize` (the last batch may
    /// reach past N: the paper's 15M tokens are 3,663 steps of 4096).
    public func steps(batchSize: Int) -> Int { (tokensPerStage + batchSize - 1) / max(1, batchSize) }

    /// Activations the LM produces for a run of `steps` SAE steps: the initial storage half, then one
    /// half per refill (every half-buffer of served batches).
    public func producedTokens(steps: Int, batchSize: Int) -> Int {
        let served = steps * batchSize
        return halfBufferTokens * (1 + (served + halfBufferTokens - 1) / halfBufferTokens)
    }

    /// Problems with these settings (empty when valid).
    public func problems() -> [String] {
        var p: [String] = []
        if tokensPerStage <= 0 { p.append("--tokens-per-stage must be positive (got \(tokensPerStage))") }
        if halfBufferTokens <= 0 { p.append("--buffer-tokens must be positive (got \(halfBufferTokens))") }
        if storeBatchRows <= 0 { p.append("--store-batch-rows must be positive (got \(storeBatchRows))") }
        return p
    }
}
