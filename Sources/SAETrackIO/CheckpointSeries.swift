import Foundation

/// Errors raised while reading a checkpoint series.
public enum CheckpointSeriesError: Error, CustomStringConvertible, Equatable {
    /// The path is not a directory.
    case notADirectory(path: String)
    /// No `step{N}` or `checkpoint-{N}` directory holding a `config.json`.
    case noCheckpoints(directory: String)
    /// Two directories name the same step (e.g. `step100` and `checkpoint-100`).
    case duplicateStep(directory: String, step: Int, names: [String])

    public var description: String {
        switch self {
        case let .notADirectory(p): return "\(p): not a directory"
        case let .noCheckpoints(d): return "\(d): no step{N} or checkpoint-{N} model directories"
        case let .duplicateStep(d, s, names): return "\(d): step \(s) appears twice (\(names.joined(separator: ", ")))"
        }
    }
}

/// A directory of model checkpoints named `step{N}` (Pythia's revision names) or
/// `checkpoint-{N}` (HF Trainer, stanford-crfm), ordered by step.
///
/// Opening lists the checkpoints and warns about gaps in the schedule; ``hashWeights(progress:)``
/// fingerprints each checkpoint's weights and warns when two steps hold identical weights (a
/// known problem of some public Pythia branches); ``writeManifest(to:)`` records it all.
public struct CheckpointSeries {
    /// The series directory.
    public let directory: URL
    /// Checkpoints in increasing step order.
    public let checkpoints: [(step: Int, url: URL)]
    /// Problems worth a human's attention (gaps, skipped directories, identical weights).
    public private(set) var warnings: [String] = []
    /// SHA-256 of each checkpoint's weights (``ModelDirectory/weightsSHA256()``), by step,
    /// once ``hashWeights(progress:)`` has run.
    public private(set) var weightDigests: [Int: String] = [:]

    /// Lists the checkpoints in `directory`.
    public init(_ directory: URL) throws {
        self.directory = directory
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw CheckpointSeriesError.notADirectory(path: directory.path)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        var byStep: [Int: String] = [:]
        var skipped: [String] = []
        for name in names {
            guard let step = Self.step(fromDirectoryName: name) else { continue }
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) else {
                skipped.append(name); continue
            }
            if let other = byStep[step] {
                throw CheckpointSeriesError.duplicateStep(directory: directory.path, step: step, names: [other, name])
            }
            byStep[step] = name
        }
        guard !byStep.isEmpty else { throw CheckpointSeriesError.noCheckpoints(directory: directory.path) }
        checkpoints = byStep.keys.sorted().map { ($0, directory.appendingPathComponent(byStep[$0]!)) }
        warnings += skipped.map { "\($0) has no config.json; skipped" }
        warnings += Self.gapWarnings(checkpoints.map(\.step))
    }

    /// The step a directory name denotes: `step{N}` or `checkpoint-{N}` with N a plain decimal.
    public static func step(fromDirectoryName name: String) -> Int? {
        let digits: Substring
        if name.hasPrefix("step") { digits = name.dropFirst(4) } else if name.hasPrefix("checkpoint-") {
            digits = name.dropFirst(11)
        } else { return nil }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(digits)
    }

    /// Warnings about missing steps. Two schedules are recognised, alone or combined (Pythia uses
    /// both): powers of two (every power of two up to the largest present is expected) and a
    /// regular stride (the most common difference between consecutive steps, seen at least 3
    /// times; a difference that is a multiple of it means skipped checkpoints).
    public static func gapWarnings(_ steps: [Int]) -> [String] {
        var out: [String] = []
        let present = Set(steps)
        let powers = steps.filter { $0 > 0 && $0 & ($0 - 1) == 0 }
        if powers.count >= 3, let top = powers.max() {
            var missing: [Int] = []
            var p = 1
            while p < top { if !present.contains(p) { missing.append(p) }; p <<= 1 }
            if !missing.isEmpty {
                out.append("log-spaced steps missing: \(missing.map(String.init).joined(separator: ", "))")
            }
        }
        let diffs = zip(steps.dropFirst(), steps).map { $0 - $1 }
        var counts: [Int: Int] = [:]
        for d in diffs { counts[d, default: 0] += 1 }
        if let (stride, n) = counts.max(by: { ($0.value, $0.key) < ($1.value, $1.key) }), n >= 3, stride > 0 {
            for (a, b) in zip(steps, steps.dropFirst()) where b - a > stride && (b - a) % stride == 0 && a >= stride {
                out.append("gap: \((b - a) / stride - 1) checkpoint(s) missing between step \(a) and step \(b) (stride \(stride))")
            }
        }
        return out
    }

    /// Hashes every checkpoint's weights (loading and verifying each), and warns for each run of
    /// consecutive steps with identical weights. `progress(done, total)` is called after each.
    public mutating func hashWeights(progress: ((Int, Int) -> Void)? = nil) throws {
        for (i, c) in checkpoints.enumerated() {
            weightDigests[c.step] = try ModelDirectory(c.url).weightsSHA256()
            progress?(i + 1, checkpoints.count)
        }
        warnings += Self.identicalWeightWarnings(checkpoints.map(\.step), digests: weightDigests)
    }

    /// Warns about identical weights cheaply: only checkpoints among `steps` whose `candidates`
    /// digests agree (e.g. ``RunFingerprint/checkpointDigest(_:)``, which also covers the config
    /// and file names) get their weights SHA-256 computed; equal full digests give the same warning as
    /// ``hashWeights(progress:)``. Returns the new warnings (also appended to ``warnings``).
    @discardableResult
    public mutating func warnAboutIdenticalWeights(among steps: [Int], candidates: [Int: String]) throws -> [String] {
        let chosen = checkpoints.filter { steps.contains($0.step) }
        let groups = Dictionary(grouping: chosen) { candidates[$0.step] ?? "\($0.step)" }
        for c in groups.values.filter({ $0.count > 1 }).flatMap({ $0 }) where weightDigests[c.step] == nil {
            weightDigests[c.step] = try ModelDirectory(c.url).weightsSHA256()
        }
        let found = Self.identicalWeightWarnings(chosen.map(\.step).filter { weightDigests[$0] != nil }, digests: weightDigests)
        warnings += found
        return found
    }

    /// One warning per step (in `steps` order) whose digest repeats an earlier step's.
    static func identicalWeightWarnings(_ steps: [Int], digests: [Int: String]) -> [String] {
        var out: [String] = []
        var firstWithDigest: [String: Int] = [:]
        for step in steps {
            guard let d = digests[step] else { continue }
            if let earlier = firstWithDigest[d] {
                out.append("step \(step) has weights identical to step \(earlier) (sha256 \(d.prefix(12))…): "
                           + "an SAE trained on it measures no training between them")
            } else {
                firstWithDigest[d] = step
            }
        }
        return out
    }

    /// The manifest as a JSON-ready value: format tag, directory, checkpoints (step, directory
    /// name, weights SHA-256 when hashed) and warnings.
    public var manifest: [String: Any] {
        [
            "format": "saetrack-checkpoint-series/1",
            "directory": directory.path,
            "checkpoints": checkpoints.map { c -> [String: Any] in
                var e: [String: Any] = ["step": c.step, "path": c.url.lastPathComponent]
                if let d = weightDigests[c.step] { e["weights_sha256"] = d }
                return e
            },
            "warnings": warnings,
        ]
    }

    /// Writes ``manifest`` as pretty, key-sorted JSON, atomically (default `<directory>/manifest.json`).
    public func writeManifest(to url: URL? = nil) throws {
        let data = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicFile.write(data + Data("\n".utf8), to: url ?? directory.appendingPathComponent("manifest.json"))
    }
}
