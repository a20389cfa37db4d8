import Foundation

/// Writes safetensors files exactly as the reference (Rust) writer does, so that for the same
/// tensors and at most one metadata key the bytes are identical to Python's
/// `safetensors.*.save_file` (with several metadata keys only their order can differ: the
/// reference writes them in hash-map order, SAETrack sorted):
/// - tensors ordered by dtype (the reference enum order, descending: U64, I64, F64, F32, U32,
///   I32, BF16, F16, U16, I16, I8, U8, BOOL), then by name byte-wise;
/// - compact JSON header with serde_json's string escaping, `__metadata__` first when given
///   (an empty map is written as `{}`, nil omits it);
/// - header right-padded with spaces to a multiple of 8, so every tensor starts aligned;
/// - written atomically (temporary file, fsync, rename).
public enum SafetensorsWriter {
    /// Writes `tensors` (and optional `metadata`) to `url` atomically.
    public static func write(_ tensors: [String: TensorData], metadata: [String: String]? = nil, to url: URL) throws {
        try AtomicFile.write(serialize(tensors, metadata: metadata, file: url.path), to: url)
    }

    /// The file's bytes; `file` names the destination in errors.
    public static func serialize(_ tensors: [String: TensorData], metadata: [String: String]? = nil,
                                 file: String = "<memory>") throws -> Data {
        let names = tensors.keys.sorted { a, b in
            let (ra, rb) = (tensors[a]!.dtype.referenceOrder, tensors[b]!.dtype.referenceOrder)
            return ra != rb ? ra > rb : a.utf8.lexicographicallyPrecedes(b.utf8)
        }
        var header: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func separator() { if !first { header.append(UInt8(ascii: ",")) }; first = false }
        if let metadata {
            separator()
            appendString("__metadata__", to: &header)
            header += Array(":{".utf8)
            for (i, key) in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if i > 0 { header.append(UInt8(ascii: ",")) }
                appendString(key, to: &header)
                header.append(UInt8(ascii: ":"))
                appendString(metadata[key]!, to: &header)
            }
            header.append(UInt8(ascii: "}"))
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            guard name != "__metadata__" else {
                throw SafetensorsError.invalidTensorData(file: file, tensor: name, reason: "the name is reserved for metadata")
            }
            var count = 1
            for d in t.shape {
                guard d >= 0 else { throw SafetensorsError.invalidTensorData(file: file, tensor: name, reason: "negative dimension in \(t.shape)") }
                let (m, o) = count.multipliedReportingOverflow(by: d)
                guard !o else { throw SafetensorsError.invalidTensorData(file: file, tensor: name, reason: "shape \(t.shape) overflows") }
                count = m
            }
            let (expected, o) = count.multipliedReportingOverflow(by: t.dtype.byteSize)
            guard !o, expected == t.bytes.count else {
                throw SafetensorsError.invalidTensorData(
                    file: file, tensor: name, reason: "\(t.bytes.count) bytes for shape \(t.shape) \(t.dtype.rawValue)")
            }
            separator()
            appendString(name, to: &header)
            let shape = t.shape.map(String.init).joined(separator: ",")
            header += Array(":{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}".utf8)
            offset += t.bytes.count
        }
        header.append(UInt8(ascii: "}"))
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        var out = Data()
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for name in names { out.append(tensors[name]!.bytes) }
        return out
    }

    /// Appends `s` as a JSON string literal, escaped as serde_json does: `"` and `\` escaped,
    /// `\b \f \n \r \t` short forms, other control characters as lower-case `\u00XX`, everything
    /// else (including `/`, DEL and non-ASCII) raw UTF-8.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x08: out += [0x5C, UInt8(ascii: "b")]
            case 0x0C: out += [0x5C, UInt8(ascii: "f")]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20: out += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 15)]]
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
