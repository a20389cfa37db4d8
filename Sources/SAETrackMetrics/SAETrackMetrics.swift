/// SAETrackMetrics: feature matching, drift, formation progress measures, semantic evolution,
/// phases and PCA trajectories.
public enum SAETrackMetricsModule {}
