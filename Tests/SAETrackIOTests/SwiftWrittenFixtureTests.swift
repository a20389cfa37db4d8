import Foundation
import Testing
import SAETrackCore
@testable import SAETrackIO

/// Files SAETrack writes, checked by the reference implementations.
///
/// `generate.py swift` runs this suite with `SAETRACK_IO_WRITE_FIXTURES=1`, which makes
/// ``writeSwiftOutputs(to:)`` write into `Tests/Fixtures/io/swift-written/`; the script then loads
/// each output with transformers / safetensors / sae_lens and records the verdict, with each
/// file's SHA-256, in `swift-written/python-verdict.json`. Without the variable the test writes to
/// a temporary directory and checks the bytes are still exactly those Python accepted.
enum SwiftOutputs {
    /// Relative paths of every file ``write(to:)`` produces.
    static func write(to dir: URL) throws -> [String] {
        var files: [String] = []
        // Model directories re-written from the transformers-saved tiny models.
        for name in ["gpt2-tiny", "neox-tiny"] {
            let src = try ModelDirectory(IOFixtures.url("models/\(name)"))
            try ModelDirectory.write(config: src.config, weights: src.loadWeights(), to: dir.appendingPathComponent("models/\(name)"))
            files += ["models/\(name)/config.json", "models/\(name)/model.safetensors"]
        }
        // SAEs re-written from the sae_lens-saved fixtures, with SAETrack provenance.
        for architecture in ["standard", "topk"] {
            let (t, cfg) = try SAEDirectory.read(IOFixtures.url("sae/saelens-\(architecture)"))
            let provenance = SAEProvenance(modelName: "pythia-70m", hookName: "blocks.3.hook_resid_pre", checkpointStep: 512,
                                           centered: true, lmWeightsSHA256: String(repeating: "ab", count: 32), warmStartedFrom: 256)
            let config = SAEDirectoryConfig(dIn: cfg.dIn, dSAE: cfg.dSAE, architecture: architecture, k: cfg.k, provenance: provenance)
            try SAEDirectory.write(wEnc: t["W_enc"]!, bEnc: t["b_enc"]!.storage, wDec: t["W_dec"]!, bDec: t["b_dec"]!.storage,
                                   config: config, to: dir.appendingPathComponent("sae/\(architecture)"))
            files += ["sae/\(architecture)/cfg.json", "sae/\(architecture)/sae_weights.safetensors"]
        }
        // Every dtype, scalar, empty tensor and several metadata keys, re-written by SAETrack.
        let src = try SafetensorsFile(contentsOf: IOFixtures.url("safetensors/all-dtypes-multi-metadata.safetensors"))
        try SafetensorsWriter.write(tensorData(of: src), metadata: src.metadata, to: dir.appendingPathComponent("safetensors/all-dtypes.safetensors"))
        files.append("safetensors/all-dtypes.safetensors")
        return files
    }
}

@Test("Swift-written files are byte-identical to those transformers / safetensors accepted")
func swiftOutputsMatchVerifiedFixtures() throws {
    let committed = IOFixtures.url("swift-written")
    if ProcessInfo.processInfo.environment["SAETRACK_IO_WRITE_FIXTURES"] == "1" {
        try? FileManager.default.removeItem(at: committed)
        _ = try SwiftOutputs.write(to: committed)
        return
    }
    let tmp = IOFixtures.temporaryDirectory("swift-written")
    defer { try? FileManager.default.removeItem(at: tmp) }
    let files = try SwiftOutputs.write(to: tmp)
    let verdict = try IOFixtures.json("swift-written/python-verdict.json")
    let checked = verdict["files"] as! [String: [String: Any]]
    #expect(Set(checked.keys) == Set(files))
    for file in files {
        let bytes = try Data(contentsOf: tmp.appendingPathComponent(file))
        #expect(bytes == (try Data(contentsOf: committed.appendingPathComponent(file))), "\(file) changed since Python checked it")
        let entry = checked[file] ?? [:]
        #expect(entry["sha256"] as? String == SHA256.hash(bytes).hexDigest, "\(file)")
        #expect(entry["ok"] as? Bool == true, "\(file): \(entry["detail"] ?? "")")
    }
}
