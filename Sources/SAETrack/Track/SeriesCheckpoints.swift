import Foundation

/// The checkpoints of a series directory: subdirectories named `step{N}` (Pythia revisions) or
/// `checkpoint-{N}` (Stanford CRFM), each a Hugging Face model directory, sorted by step.
/// Integrity problems (a step directory without `config.json` or weights) become warnings.
public struct SeriesCheckpoints: Sendable {
    public let directory: URL
    /// (step, directory) in increasing step order.
    public let checkpoints: [(step: Int, url: URL)]
    /// Problems found while scanning, one line each.
    public let warnings: [String]

    /// Scans `directory`.
    public init(_ directory: URL) throws {
        self.directory = directory
        let fm = FileManager.default
        let names = try fm.contentsOfDirectory(atPath: directory.path)
        var found: [(Int, URL)] = []
        var warnings: [String] = []
        for name in names {
            guard let step = Self.step(fromDirectoryName: name) else { continue }
            let url = directory.appendingPathComponent(name)
            let hasConfig = fm.fileExists(atPath: url.appendingPathComponent("config.json").path)
            let hasWeights = fm.fileExists(atPath: url.appendingPathComponent("model.safetensors").path)
                || fm.fileExists(atPath: url.appendingPathComponent("model.safetensors.index.json").path)
            if !hasConfig || !hasWeights {
                warnings.append("\(url.path): skipped, missing \(hasConfig ? "model.safetensors" : "config.json")")
                continue
            }
            found.append((step, url))
        }
        found.sort { $0.0 < $1.0 }
        var seen = Set<Int>()
        var unique: [(step: Int, url: URL)] = []
        for (s, u) in found {
            if seen.insert(s).inserted { unique.append((s, u)) } else { warnings.append("\(u.path): duplicate step \(s), ignored") }
        }
        checkpoints = unique
        self.warnings = warnings
    }

    /// N from "step{N}" or "checkpoint-{N}".
    public static func step(fromDirectoryName name: String) -> Int? {
        if name.hasPrefix("step") { return Int(name.dropFirst(4)) }
        if name.hasPrefix("checkpoint-") { return Int(name.dropFirst(11)) }
        return nil
    }

    /// The directory of the checkpoint at `step`, if present.
    public func url(forStep step: Int) -> URL? { checkpoints.first { $0.step == step }?.url }
}
