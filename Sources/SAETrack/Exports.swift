// The umbrella module: `import SAETrack` brings every layer of the library.
@_exported import SAETrackCore
@_exported import SAETrackIO
@_exported import SAETrackLM
@_exported import SAETrackSAE
@_exported import SAETrackMetrics
