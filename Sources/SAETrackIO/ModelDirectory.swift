import Foundation
import SAETrackCore

/// A Hugging Face model directory: `config.json` plus `model.safetensors`, or shards listed in
/// `model.safetensors.index.json`. Opening reads the config and the safetensors headers only;
/// ``loadWeights()`` reads, verifies and converts the tensors.
///
/// Names follow Hugging Face, except that GPT-2's optional `transformer.` prefix is removed
/// (`h.0.attn.c_attn.weight`, `wte.weight`). A tied head (`lm_head.weight` / `embed_out.weight`
/// with `tie_word_embeddings`) is dropped. Known buffers (`attn.bias`, `attn.masked_bias`,
/// `rotary_emb.inv_freq`, …) are ignored. F32, F16, BF16 and F64 tensors are read as Float.
public struct ModelDirectory {
    /// The directory.
    public let url: URL
    /// The parsed `config.json`.
    public let config: ModelConfig
    /// The safetensors files holding the weights (one, or the shards in index order).
    public let weightFiles: [URL]

    /// One tensor as found on disk, keyed by its normalised name.
    struct Entry {
        var file: SafetensorsFile
        var storedName: String
        var info: TensorInfo
    }

    /// Opens `url`: reads `config.json` and finds the weights.
    public init(_ url: URL) throws {
        self.url = url
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
            throw ModelDirectoryError.notADirectory(path: url.path)
        }
        let configURL = url.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw ModelDirectoryError.missingConfig(directory: url.path)
        }
        config = try ModelConfig.load(from: configURL)
        let single = url.appendingPathComponent("model.safetensors")
        let index = url.appendingPathComponent("model.safetensors.index.json")
        if FileManager.default.fileExists(atPath: single.path) {
            weightFiles = [single]
        } else if FileManager.default.fileExists(atPath: index.path) {
            weightFiles = try Self.shardFiles(index: index).files
        } else {
            let found = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            throw ModelDirectoryError.noWeights(directory: url.path, found: found)
        }
    }

    /// Reads every tensor, verifies names and shapes against the config, and returns the
    /// parameters as matrices (1-D tensors as one row). A NaN or infinite value is an error
    /// naming the tensor (``ModelDirectoryError/nonFiniteWeights(file:tensor:count:firstIndex:value:)``). Throws ``ModelDirectoryError/mismatch(_:)``
    /// listing every problem at once.
    public func loadWeights() throws -> [String: Matrix] {
        let entries = try verifiedEntries()
        var out: [String: Matrix] = [:]
        for spec in config.parameterLayout {
            let e = entries[spec.name]!
            let (rows, cols) = spec.matrixShape
            let values = try e.file.floats(e.storedName)
            if let bad = NonFiniteValues.find(in: values) {
                throw ModelDirectoryError.nonFiniteWeights(file: e.file.path, tensor: e.storedName,
                                                           count: bad.count, firstIndex: bad.first, value: bad.value)
            }
            out[spec.name] = Matrix(rows: rows, cols: cols, storage: values)
        }
        return out
    }

    /// Verifies the safetensors headers against the config (names, shapes, dtypes, shard index,
    /// file sizes) without reading the tensors: what ``loadWeights()`` would refuse, found in
    /// milliseconds. Throws ``ModelDirectoryError/mismatch(_:)`` or the file's safetensors error.
    public func verifyHeaders() throws {
        _ = try verifiedEntries()
    }

    /// SHA-256 of the verified weights in SAETrack's canonical encoding (``ModelDirectory/sha256(of:)``),
    /// so the same values hash the same whatever the file's dtype, prefix or tensor order.
    public func weightsSHA256() throws -> String {
        try Self.sha256(of: loadWeights())
    }

    /// Canonical SHA-256 of a weight dictionary: for each name in byte-wise sorted order,
    /// `u64le(len(name)) ‖ name (UTF-8) ‖ u64le(rows) ‖ u64le(cols) ‖ values as F32 little-endian`.
    public static func sha256(of weights: [String: Matrix]) -> String {
        var h = SHA256()
        func u64(_ v: Int) { withUnsafeBytes(of: UInt64(v).littleEndian) { h.update($0) } }
        for name in weights.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let m = weights[name]!
            let utf8 = Array(name.utf8)
            u64(utf8.count); h.update(utf8)
            u64(m.rows); u64(m.cols)
            m.withUnsafeBufferPointer { h.update(UnsafeRawBufferPointer($0)) }   // little-endian hosts only
        }
        return h.finalize().hexDigest
    }

    /// Checks `weights` (as ``loadWeights()`` returns them) against `config`; throws a
    /// ``ModelDirectoryError/mismatch(_:)`` listing every missing, unexpected or mis-shaped one.
    public static func verify(_ weights: [String: Matrix], against config: ModelConfig, source: String) throws {
        var report = WeightMismatch(file: source, config: config.summary)
        let layout = config.parameterLayout
        let expected = Set(layout.map(\.name))
        for spec in layout {
            guard let m = weights[spec.name] else { report.missing.append(spec.name); continue }
            let (rows, cols) = spec.matrixShape
            if m.rows != rows || m.cols != cols {
                report.wrongShape.append(.init(name: spec.name, found: [m.rows, m.cols], expected: [rows, cols]))
            }
        }
        report.unexpected = weights.keys.filter { !expected.contains($0) }.sorted()
        guard report.isEmpty else { throw ModelDirectoryError.mismatch(report) }
    }

    /// Writes `config.json` and an F32 `model.safetensors` (metadata `format: pt`) that
    /// `transformers.AutoModelForCausalLM.from_pretrained` loads. GPT-2 tensors get the
    /// `transformer.` prefix `save_pretrained` uses. The directory appears atomically: files are
    /// written into a hidden sibling and renamed into place (see ``DirectoryReplacement``).
    public static func write(config: ModelConfig, weights: [String: Matrix], to url: URL) throws {
        try verify(weights, against: config, source: url.path)
        var tensors: [String: TensorData] = [:]
        for spec in config.parameterLayout {
            let m = weights[spec.name]!
            let stored: String
            if case .gpt2 = config, spec.name != "lm_head.weight" { stored = "transformer." + spec.name } else { stored = spec.name }
            tensors[stored] = TensorData(shape: spec.shape, floats: m.storage)
        }
        let config = try config.jsonData()
        try DirectoryReplacement.replace(url) { tmp in
            try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: tmp.appendingPathComponent("model.safetensors"))
            try AtomicFile.write(config, to: tmp.appendingPathComponent("config.json"))
        }
    }

    // MARK: - Reading

    /// Every tensor keyed by normalised name, verified against the config.
    func verifiedEntries() throws -> [String: Entry] {
        var report = WeightMismatch(file: weightFiles.count == 1 ? weightFiles[0].path : url.path, config: config.summary)
        var entries: [String: Entry] = [:]
        for (file, names) in try openWeightFiles() {
            for stored in names {
                guard let info = file.info(stored) else {
                    report.missing.append("\(stored) (listed in the index for \(file.path))"); continue
                }
                var name = stored
                if case .gpt2 = config, name.hasPrefix("transformer.") { name.removeFirst("transformer.".count) }
                if ModelConfig.isIgnoredBuffer(name) || name == config.tiedHeadName { continue }
                if entries[name] != nil { report.duplicate.append(name); continue }
                entries[name] = Entry(file: file, storedName: stored, info: info)
            }
        }
        let layout = config.parameterLayout
        let expected = Set(layout.map(\.name))
        for spec in layout {
            guard let e = entries[spec.name] else { report.missing.append(spec.name); continue }
            if e.info.shape != spec.shape {
                report.wrongShape.append(.init(name: spec.name, found: e.info.shape, expected: spec.shape))
            }
            if ![.f32, .f16, .bf16, .f64].contains(e.info.dtype) {
                report.wrongDType.append("\(spec.name) is \(e.info.dtype.rawValue), expected a float type")
            }
        }
        report.unexpected = entries.keys.filter { !expected.contains($0) }.sorted()
        report.duplicate.sort()
        guard report.isEmpty else { throw ModelDirectoryError.mismatch(report) }
        return entries
    }

    /// The open safetensors files with the tensor names to take from each.
    private func openWeightFiles() throws -> [(SafetensorsFile, [String])] {
        let index = url.appendingPathComponent("model.safetensors.index.json")
        if weightFiles.count == 1, weightFiles[0].lastPathComponent == "model.safetensors" {
            let f = try SafetensorsFile(contentsOf: weightFiles[0])
            return [(f, f.tensorNames)]
        }
        let map = try Self.shardFiles(index: index).weightMap
        return try weightFiles.map { shard in
            let f = try SafetensorsFile(contentsOf: shard)
            let listed = map.filter { $0.value == shard.lastPathComponent }.map(\.key).sorted()
            let unlisted = Set(f.tensorNames).subtracting(listed)
            guard unlisted.isEmpty else {
                throw ModelDirectoryError.invalidIndex(
                    file: index.path, reason: "\(shard.lastPathComponent) holds tensors the index does not list: \(unlisted.sorted().joined(separator: ", "))")
            }
            return (f, listed)
        }
    }

    /// Parses `model.safetensors.index.json`: `{"metadata": {...}, "weight_map": {tensor: shard}}`.
    static func shardFiles(index: URL) throws -> (files: [URL], weightMap: [String: String]) {
        let file = index.path
        guard let data = try? Data(contentsOf: index) else {
            throw ModelDirectoryError.invalidIndex(file: file, reason: "unreadable")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let dict = object as? [String: Any] else {
            throw ModelDirectoryError.invalidIndex(file: file, reason: "not a JSON object")
        }
        guard let map = dict["weight_map"] as? [String: String], !map.isEmpty else {
            throw ModelDirectoryError.invalidIndex(file: file, reason: "\"weight_map\" must be a non-empty object of tensor name → shard file")
        }
        let dir = index.deletingLastPathComponent()
        var files: [URL] = []
        for shard in Set(map.values).sorted() {
            guard !shard.contains("/"), shard != "..", shard != "." else {
                throw ModelDirectoryError.invalidIndex(file: file, reason: "shard \"\(shard)\" is not a file name in the directory")
            }
            let u = dir.appendingPathComponent(shard)
            guard FileManager.default.fileExists(atPath: u.path) else {
                throw ModelDirectoryError.invalidIndex(file: file, reason: "shard \"\(shard)\" does not exist")
            }
            files.append(u)
        }
        return (files, map)
    }
}
