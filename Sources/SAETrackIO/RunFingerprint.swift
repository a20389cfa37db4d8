import Foundation

/// The version of SAETrack, recorded in every run's fingerprint (a rerun under another version
/// is reported, since numerics may differ).
public enum SAETrackVersion {
    public static let current = "0.2.0"
}

/// Everything a run's result depends on, as digests: its input files (token file, tokenizer,
/// activation file, each checkpoint, warm-start SAE), its settings and the SAETrack version.
/// Written as `fingerprint.json` into the run's output directory when the run starts; a rerun
/// computes its own and compares it with the recorded one before doing any work, so a resumed or
/// finished run never silently mixes old and new inputs.
///
/// ```json
/// {"format": 1, "saetrack_version": "0.2.0",
///  "inputs": {"tokens": {"path": "/data/tokens.safetensors", "sha256": "…"},
///             "checkpoint step 0": {"path": "/series/step0", "sha256": "…"}, …}}
/// ```
/// Paths are recorded for the message only; digests are compared.
public struct RunFingerprint: Codable, Equatable, Sendable {
    public static let fileName = "fingerprint.json"

    /// One input: where it was and its digest.
    public struct Input: Codable, Equatable, Sendable {
        public var path: String
        public var sha256: String
        public init(path: String, sha256: String) { self.path = path; self.sha256 = sha256 }
    }

    public var format = 1
    public var saetrackVersion: String
    /// Inputs by name: `tokens`, `tokenizer`, `activations`, `model`, `initial SAE`,
    /// `checkpoint step N`, `settings` (digest of the canonical settings JSON).
    public var inputs: [String: Input]

    enum CodingKeys: String, CodingKey {
        case format, inputs
        case saetrackVersion = "saetrack_version"
    }

    public init(inputs: [String: Input] = [:], saetrackVersion: String = SAETrackVersion.current) {
        self.inputs = inputs
        self.saetrackVersion = saetrackVersion
    }

    /// Adds the whole-file SHA-256 of `url` under `name`.
    public mutating func addFile(_ name: String, _ url: URL) throws {
        inputs[name] = Input(path: url.standardizedFileURL.path, sha256: try Self.fileSHA256(url))
    }

    /// Adds a model directory's digest (``checkpointDigest(_:)``) under `name`.
    public mutating func addCheckpoint(_ name: String, _ url: URL) throws {
        inputs[name] = Input(path: url.standardizedFileURL.path, sha256: try Self.checkpointDigest(url))
    }

    /// Adds the digest of a settings value (its sorted-key JSON) under `name`.
    public mutating func addSettings<T: Encodable>(_ name: String = "settings", _ value: T) throws {
        var h = SHA256()
        h.update(Array(try JSONFile.canonical(value)))
        inputs[name] = Input(path: "", sha256: h.finalize().hexDigest)
    }

    /// What differs from `recorded`, one line each, naming the input. Inputs recorded but not
    /// given now, or given now but not recorded, count as changes unless their name starts with
    /// one of `growable` (a checkpoint series may gain checkpoints).
    public func changes(since recorded: RunFingerprint, growable: [String] = []) -> [String] {
        var out: [String] = []
        if saetrackVersion != recorded.saetrackVersion {
            out.append("SAETrack version: \(recorded.saetrackVersion) → \(saetrackVersion)")
        }
        for name in Set(inputs.keys).union(recorded.inputs.keys).sorted() {
            let now = inputs[name], then = recorded.inputs[name]
            switch (then, now) {
            case let (t?, n?) where t.sha256 != n.sha256:
                let place = n.path.isEmpty ? "" : " (\(n.path))"
                out.append("\(name)\(place) changed: sha256 \(t.sha256.prefix(12))… → \(n.sha256.prefix(12))…")
            case let (t?, nil) where !growable.contains(where: name.hasPrefix):
                out.append("\(name) was an input (\(t.path.isEmpty ? "recorded" : t.path)) and is not given now")
            case let (nil, n?) where !growable.contains(where: name.hasPrefix):
                out.append("\(name)\(n.path.isEmpty ? "" : " (\(n.path))") is a new input")
            default: break
            }
        }
        return out
    }

    /// The fingerprint recorded in `directory`, or nil when there is none.
    public static func read(from directory: URL) throws -> RunFingerprint? {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(RunFingerprint.self, from: Data(contentsOf: url))
        } catch {
            throw RunFingerprintError.unreadable(file: url.path, reason: SystemErrorText.describe(error))
        }
    }

    /// Writes `fingerprint.json` into `directory` atomically (sorted keys).
    public func write(to directory: URL) throws {
        try JSONFile.write(self, to: directory.appendingPathComponent(Self.fileName))
    }

    // MARK: - Digests

    /// SHA-256 of a whole file (memory-mapped).
    public static func fileSHA256(_ url: URL) throws -> String {
        let data = try MappedFile.map(url.path)
        var h = SHA256()
        data.withUnsafeBytes { h.update($0) }
        return h.finalize().hexDigest
    }

    /// A model directory's digest: SHA-256 over `config.json`, the shard index when present, and
    /// the name, size and every byte of each `*.safetensors` file. Every byte is read, so any
    /// change to the weights (one flipped bit included) changes the digest; sampling was not
    /// enough, since a replaced or edited checkpoint must be caught before work resumes. Cost:
    /// one sequential read plus SHA-256 of the files (measured in Docs/Performance.md; `track`
    /// prints the time it took).
    public static func checkpointDigest(_ directory: URL) throws -> String {
        var h = SHA256()
        func field(_ s: String) { let b = Array(s.utf8); withUnsafeBytes(of: UInt64(b.count).littleEndian) { h.update($0) }; h.update(b) }
        let fm = FileManager.default
        for name in ["config.json", "model.safetensors.index.json"] {
            let u = directory.appendingPathComponent(name)
            guard fm.fileExists(atPath: u.path) else { continue }
            field(name)
            let d = try MappedFile.map(u.path)
            d.withUnsafeBytes { h.update($0) }
        }
        for name in try weightFiles(in: directory) {
            let data = try MappedFile.map(directory.appendingPathComponent(name).path)
            field(name)
            field(String(data.count))
            data.withUnsafeBytes { h.update($0) }
        }
        return h.finalize().hexDigest
    }

    /// Bytes ``checkpointDigest(_:)`` reads in `directory` (its weights files), for cost reports.
    public static func checkpointBytes(_ directory: URL) throws -> Int {
        try weightFiles(in: directory).reduce(0) { total, name in
            let attributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)
            return total + ((attributes[.size] as? NSNumber)?.intValue ?? 0)
        }
    }

    private static func weightFiles(in directory: URL) throws -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".safetensors") }.sorted()
    }
}

/// A recorded fingerprint could not be read.
public enum RunFingerprintError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(f, r): return "\(f): cannot read the run's fingerprint: \(r) (pass --restart to start over)"
        }
    }
}
