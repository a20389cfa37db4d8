import Foundation

/// Summary statistics of one tensor, as `saetrack inspect` shows them.
public struct TensorSummary: Equatable, Sendable {
    /// The name as stored in the file.
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// The file holding it (sharded checkpoints have several).
    public var file: String
    /// Smallest and largest non-NaN value (nil when there is none); ±inf count.
    public var min: Double?
    public var max: Double?
    /// Mean of the non-NaN values, accumulated in Double (nil when there is none).
    public var mean: Double?
    /// Number of NaN elements.
    public var nanCount: Int

    /// Element count.
    public var count: Int { shape.reduce(1, *) }

    /// Reads `name` from `file` and summarises it.
    public init(_ name: String, in file: SafetensorsFile) throws {
        let info = file.info(name)!
        self.name = name; dtype = info.dtype; shape = info.shape
        self.file = URL(fileURLWithPath: file.path).lastPathComponent
        let values = try file.floats(name)
        var lo = Float.infinity, hi = -Float.infinity, sum = 0.0, nans = 0
        values.withUnsafeBufferPointer { v in
            for x in v {
                if x.isNaN { nans += 1; continue }
                lo = Swift.min(lo, x); hi = Swift.max(hi, x); sum += Double(x)
            }
        }
        let n = values.count - nans
        min = n > 0 ? Double(lo) : nil
        max = n > 0 ? Double(hi) : nil
        mean = n > 0 ? sum / Double(n) : nil
        nanCount = nans
    }
}

/// What `saetrack inspect PATH` reports for a safetensors file, a Hugging Face model directory
/// or an SAE directory: every tensor's summary, the config, the metadata and, for model and SAE
/// directories, whether the tensors verify against the config.
public struct Inspection {
    /// What the path holds.
    public enum Kind: String, Sendable { case safetensors = "safetensors file", model = "model directory", sae = "SAE directory" }

    public var kind: Kind
    public var path: String
    /// Tensors in file order (shards in index order).
    public var tensors: [TensorSummary] = []
    /// `__metadata__` of each safetensors file, by file name.
    public var metadata: [String: [String: String]] = [:]
    /// The directory's config file as parsed JSON (`config.json` or `cfg.json`).
    public var config: [String: Any]?
    /// A one-line description of the config (model directories).
    public var configSummary: String?
    /// nil when the tensors verify against the config, else the error text (directories only).
    public var verificationProblem: String?

    /// Inspects `url`: a directory with `config.json` is a model, one with `cfg.json` and SAE
    /// weights an SAE directory, anything else is read as a safetensors file.
    public init(_ url: URL) throws {
        path = url.path
        var isDir: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir)
        if isDir.boolValue, SAEDirectory.layout(of: url) != nil {
            kind = .sae
            let weights = url.appendingPathComponent(SAEDirectory.layout(of: url) == .saeLens ? SAEDirectory.saeLensWeightsFile : SAEDirectory.sparsifyWeightsFile)
            try add(SafetensorsFile(contentsOf: weights))
            config = Self.jsonObject(url.appendingPathComponent(SAEDirectory.configFile))
            do { _ = try SAEDirectory.read(url) } catch { verificationProblem = "\(error)" }
        } else if isDir.boolValue {
            kind = .model
            let dir = try ModelDirectory(url)
            configSummary = dir.config.summary
            config = Self.jsonObject(url.appendingPathComponent("config.json"))
            for f in dir.weightFiles { try add(SafetensorsFile(contentsOf: f)) }
            do { _ = try dir.verifiedEntries() } catch { verificationProblem = "\(error)" }
        } else {
            kind = .safetensors
            try add(SafetensorsFile(contentsOf: url))
        }
    }

    private mutating func add(_ file: SafetensorsFile) throws {
        let name = URL(fileURLWithPath: file.path).lastPathComponent
        if !file.metadata.isEmpty { metadata[name] = file.metadata }
        for t in file.tensors { tensors.append(try TensorSummary(t.name, in: file)) }
    }

    private static func jsonObject(_ url: URL) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// Total element count.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.count } }

    /// The report as a JSON-ready dictionary (`saetrack inspect --json`). Statistics of a tensor
    /// without non-NaN values are null; ±inf and NaN (a mean of +inf and -inf) are written as the
    /// strings "inf", "-inf" and "nan".
    public var jsonObject: [String: Any] {
        func number(_ v: Double?) -> Any {
            guard let v else { return NSNull() }
            if v.isNaN { return "nan" }
            if v.isInfinite { return v > 0 ? "inf" : "-inf" }
            return v
        }
        var out: [String: Any] = [
            "kind": kind.rawValue, "path": path, "parameter_count": parameterCount,
            "tensors": tensors.map { t -> [String: Any] in
                ["name": t.name, "dtype": t.dtype.rawValue, "shape": t.shape, "file": t.file,
                 "min": number(t.min), "max": number(t.max), "mean": number(t.mean), "nan_count": t.nanCount]
            },
            "metadata": metadata,
        ]
        if let config { out["config"] = config }
        if let configSummary { out["config_summary"] = configSummary }
        if kind != .safetensors { out["verification"] = verificationProblem ?? "ok" }
        return out
    }

    /// The report as an aligned text table.
    public var table: String {
        var lines = ["\(kind.rawValue) \(path)" + (configSummary.map { " (\($0))" } ?? "")]
        if let config {
            lines.append("config:")
            for key in config.keys.sorted() { lines.append("  \(key): \(Self.compact(config[key]!))") }
        }
        for file in metadata.keys.sorted() {
            let pairs = metadata[file]!.keys.sorted().map { "\($0)=\(metadata[file]![$0]!)" }
            lines.append("metadata (\(file)): " + pairs.joined(separator: ", "))
        }
        if kind != .safetensors { lines.append("verification: " + (verificationProblem ?? "ok")) }
        let multiFile = Set(tensors.map(\.file)).count > 1
        var rows = [["name", "dtype", "shape", "min", "max", "mean", "NaN"] + (multiFile ? ["file"] : [])]
        for t in tensors {
            rows.append([t.name, t.dtype.rawValue, "[" + t.shape.map(String.init).joined(separator: ", ") + "]",
                         Self.format(t.min), Self.format(t.max), Self.format(t.mean), String(t.nanCount)] + (multiFile ? [t.file] : []))
        }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max()! }
        for (i, r) in rows.enumerated() {
            let cells = r.enumerated().map { c, s -> String in
                let pad = String(repeating: " ", count: widths[c] - s.count)
                return (3...6).contains(c) ? pad + s : s + pad        // numbers right-aligned
            }
            lines.append(cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            if i == 0 { lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
        lines.append("\(tensors.count) tensors, \(parameterCount) elements")
        return lines.joined(separator: "\n")
    }

    /// `%.6g`, or `-` when there is no value.
    static func format(_ v: Double?) -> String {
        guard let v else { return "-" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return String(format: "%.6g", v)
    }

    /// A config value as compact JSON (strings bare); booleans stay `true`/`false`.
    private static func compact(_ v: Any) -> String {
        if let s = v as? String { return s }
        guard let d = try? JSONSerialization.data(withJSONObject: [v], options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "\(v)"
        }
        return String(String(decoding: d, as: UTF8.self).dropFirst().dropLast())
    }
}
