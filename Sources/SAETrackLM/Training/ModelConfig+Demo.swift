import SAETrackIO

extension ModelConfig {
    /// The language model of `saetrack demo` (Docs/Demo.md): GPT-NeoX, 4 layers, d_model 128,
    /// 4 heads, MLP 512, rotary 0.25, context 128, parallel residual, untied head.
    public static func demoLM(vocabSize: Int, context: Int = 128) -> ModelConfig {
        .gptNeoX(GPTNeoXConfig(hiddenSize: 128, numHiddenLayers: 4, numAttentionHeads: 4, intermediateSize: 512,
                               vocabSize: vocabSize, maxPositionEmbeddings: context, rotaryPct: 0.25))
    }
}
