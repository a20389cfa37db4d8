import Foundation

/// Parsing of the safetensors header: u64 little-endian length, then a JSON object.
enum SafetensorsHeader {
    static func parse(_ data: Data, file: String) throws -> (tensors: [TensorInfo], metadata: [String: String], dataStart: Int) {
        guard data.count >= 8 else {
            throw SafetensorsError.malformedHeader(file: file, reason: "file is \(data.count) bytes, shorter than the 8-byte header length")
        }
        let n = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) }
        guard n <= UInt64(data.count - 8) else {
            throw SafetensorsError.malformedHeader(file: file, reason: "header length \(n) runs past the end of the file")
        }
        let headerBytes = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + 8 + Int(n)))
        guard let json = try? JSONSerialization.jsonObject(with: headerBytes), let dict = json as? [String: Any] else {
            throw SafetensorsError.malformedHeader(file: file, reason: "header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [TensorInfo] = []
        for (name, value) in dict {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else {
                    throw SafetensorsError.malformedHeader(file: file, reason: "__metadata__ must map strings to strings")
                }
                metadata = m
                continue
            }
            guard let entry = value as? [String: Any], let dt = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offs = entry["data_offsets"] as? [Int], offs.count == 2 else {
                throw SafetensorsError.malformedHeader(file: file, reason: "tensor '\(name)' needs dtype, shape and data_offsets")
            }
            guard let dtype = DType(rawValue: dt) else {
                throw SafetensorsError.unsupportedDType(file: file, tensor: name, dtype: dt)
            }
            tensors.append(TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: offs[0]..<offs[1]))
        }
        tensors.sort { $0.dataOffsets.lowerBound < $1.dataOffsets.lowerBound }
        let dataStart = 8 + Int(n)
        for t in tensors where dataStart + t.dataOffsets.upperBound > data.count
            || t.dataOffsets.count != t.elementCount * t.dtype.byteSize {
            throw SafetensorsError.malformedHeader(file: file, reason: "tensor '\(t.name)' has inconsistent data_offsets")
        }
        return (tensors, metadata, dataStart)
    }
}
