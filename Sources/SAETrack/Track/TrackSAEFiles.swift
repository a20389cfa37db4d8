import Foundation
import SAETrackCore
import SAETrackIO
import SAETrackSAE

/// The track's SAE files: SAELens layout through SAETrackIO's `SAEDirectory` (so
/// `sae_lens.SAE.load_from_disk` opens every SAE of a chain), with provenance (checkpoint step,
/// hook, centring, warm-start parent, LM weights SHA-256) in `cfg.json`'s `metadata`.
public enum TrackSAEFiles {
    /// Provenance written into `cfg.json`.
    public struct Provenance: Equatable, Sendable {
        public var modelName: String
        public var hookName: String
        public var checkpointStep: Int
        public var centered: Bool
        public var warmStartedFrom: Int?
        public var weightsSHA256: String?

        public init(modelName: String, hookName: String, checkpointStep: Int, centered: Bool,
                    warmStartedFrom: Int?, weightsSHA256: String?) {
            self.modelName = modelName; self.hookName = hookName; self.checkpointStep = checkpointStep
            self.centered = centered; self.warmStartedFrom = warmStartedFrom; self.weightsSHA256 = weightsSHA256
        }
    }

    /// Writes `sae` into `directory`; the directory appears atomically (`SAEDirectory.write`).
    public static func write(_ sae: SparseAutoencoder, provenance p: Provenance, to directory: URL) throws {
        let meta = SAEProvenance(modelName: p.modelName, hookName: p.hookName, checkpointStep: p.checkpointStep,
                                 centered: p.centered, lmWeightsSHA256: p.weightsSHA256, warmStartedFrom: p.warmStartedFrom)
        try sae.save(to: directory, provenance: meta)
    }

    /// Whether `directory` holds a complete SAE.
    public static func exists(at directory: URL) -> Bool {
        SAEDirectory.layout(of: directory) != nil
    }

    /// Reads an SAE written by ``write(_:provenance:to:)`` (or by SAELens / sparsify).
    public static func read(from directory: URL) throws -> SparseAutoencoder {
        try SparseAutoencoder.load(from: directory)
    }
}
