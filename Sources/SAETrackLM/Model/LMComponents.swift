/// The architecture-neutral parts a ``TransformerLM`` runs; GPT-2 and GPT-NeoX differ only in
/// how they fill them from a checkpoint (``GPT2`` and ``GPTNeoX``).
struct LMComponents {
    /// Token (and position) embedding.
    var embedding: Embedding
    /// The blocks, in order.
    var blocks: [TransformerBlock]
    /// LayerNorm after the last block (GPT-2 ln_f, GPT-NeoX final_layer_norm).
    var finalNorm: LayerNormWeights
    /// (C) → (V) unembedding, stored (V, C); shares the token embedding when tied.
    var unembed: Linear
}
