import Foundation

/// Writes safetensors files the way the reference writer does: tensors sorted by dtype
/// (descending alignment) then name, header padded with spaces to a multiple of 8, written
/// atomically (temporary file, fsync, rename).
public enum SafetensorsWriter {
    /// Writes `tensors` (and optional `metadata`) to `url` atomically.
    public static func write(_ tensors: [String: TensorData], metadata: [String: String]? = nil, to url: URL) throws {
        let names = tensors.keys.sorted { a, b in
            let (da, db) = (tensors[a]!.dtype.byteSize, tensors[b]!.dtype.byteSize)
            return da != db ? da > db : a < b
        }
        var offset = 0
        var headerParts: [String] = []
        if let metadata, !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            headerParts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        for name in names {
            let t = tensors[name]!
            precondition(t.bytes.count == t.shape.reduce(1, *) * t.dtype.byteSize,
                         "SafetensorsWriter: '\(name)' has \(t.bytes.count) bytes for shape \(t.shape) \(t.dtype.rawValue)")
            let shape = t.shape.map(String.init).joined(separator: ",")
            headerParts.append("\(jsonString(name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}")
            offset += t.bytes.count
        }
        var header = Data(("{" + headerParts.joined(separator: ",") + "}").utf8)
        let pad = (8 - header.count % 8) % 8
        header.append(contentsOf: [UInt8](repeating: 0x20, count: pad))
        var out = Data()
        out.reserveCapacity(8 + header.count + offset)
        var n = UInt64(header.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(header)
        for name in names { out.append(tensors[name]!.bytes) }
        try AtomicFile.write(out, to: url)
    }

    static func jsonString(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        let str = String(decoding: data, as: UTF8.self)
        return String(str.dropFirst().dropLast())
    }
}
