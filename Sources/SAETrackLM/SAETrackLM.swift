/// SAETrackLM: GPT-2 and GPT-NeoX (Pythia) forward with hook points, LM training (backward +
/// AdamW), byte-level BPE tokenizer, token datasets and the synthetic corpus with planted features.
public enum SAETrackLMModule {}
