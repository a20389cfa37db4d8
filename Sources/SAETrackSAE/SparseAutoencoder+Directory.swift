import Foundation
import SAETrackCore
import SAETrackIO

/// SAE directories (SAELens layout, references.md §A.1/§A.7) through SAETrackIO's ``SAEDirectory``:
/// `cfg.json` + `sae_weights.safetensors` with `W_enc [d_in,d_sae]`, `b_enc`, `W_dec [d_sae,d_in]`,
/// `b_dec`; sparsify directories are read too.
extension SparseAutoencoder {
    /// Reads an SAE directory (SAELens or sparsify layout).
    public static func load(from directory: URL) throws -> SparseAutoencoder {
        try loadWithConfig(from: directory).sae
    }

    /// ``load(from:)`` plus the directory's config (architecture, k, provenance).
    public static func loadWithConfig(from directory: URL) throws -> (sae: SparseAutoencoder, config: SAEDirectoryConfig) {
        let (t, config) = try SAEDirectory.read(directory)
        let sae = SparseAutoencoder(wEnc: t["W_enc"]!, bEnc: t["b_enc"]!.storage, wDec: t["W_dec"]!, bDec: t["b_dec"]!.storage)
        return (sae, config)
    }

    /// Writes the SAE in SAELens layout (`sae_lens.SAE.load_from_disk` opens it); the directory is
    /// replaced atomically.
    public func save(to directory: URL, config: SAEDirectoryConfig) throws {
        try SAEDirectory.write(wEnc: wEnc, bEnc: bEnc, wDec: wDec, bDec: bDec, config: config, to: directory)
    }
}
