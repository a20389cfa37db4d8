/// SAETrackSAE: SAE models (ReLU+L1 with SAE-Track's loss, TopK), the trainer, the activation
/// store and SAE metrics.
public enum SAETrackSAEModule {}
