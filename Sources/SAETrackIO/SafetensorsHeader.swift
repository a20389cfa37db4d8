import Foundation

/// Parsing and validation of the safetensors header: an unsigned 64-bit little-endian length N,
/// then N bytes of UTF-8 JSON starting with `{`, right-padded with spaces. Validation follows the
/// reference `validate()`: tensors sorted by offset must tile the data buffer from 0 with no
/// holes or overlaps, and each must span exactly shape × dtype-size bytes.
enum SafetensorsHeader {
    /// The reference implementation's `MAX_HEADER_SIZE`.
    static let maxHeaderSize: UInt64 = 100_000_000

    /// Dtype strings the format defines but SAETrack does not read.
    static let knownUnsupportedDTypes: Set<String> = [
        "C64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F4", "F6_E2M3", "F6_E3M2",
    ]

    static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws
        -> (tensors: [TensorInfo], metadata: [String: String], dataStart: Int)
    {
        guard bytes.count >= 8 else { throw SafetensorsError.fileTooSmall(file: file, size: bytes.count) }
        let n = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard n <= maxHeaderSize else { throw SafetensorsError.headerTooLarge(file: file, length: n) }
        guard n <= UInt64(bytes.count - 8) else {
            throw SafetensorsError.headerPastEnd(file: file, length: n, fileSize: bytes.count)
        }
        let headerLength = Int(n)
        let header = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)])
        guard headerLength > 0, header[0] == UInt8(ascii: "{") else { throw SafetensorsError.headerNotObject(file: file) }
        if let bad = HeaderJSON.firstInvalidUTF8(header) { throw SafetensorsError.headerNotUTF8(file: file, offset: bad) }
        let json: HeaderJSON.Value
        do { json = try HeaderJSON.parse(header) } catch let e as HeaderJSON.ParseError {
            throw SafetensorsError.headerInvalidJSON(file: file, offset: e.offset, reason: e.reason)
        }
        guard case .object(let members) = json else { throw SafetensorsError.headerNotObject(file: file) }

        var metadata: [String: String] = [:]
        var tensors: [TensorInfo] = []
        var seen = Set<String>()
        for (name, value) in members {
            guard seen.insert(name).inserted else { throw SafetensorsError.duplicateTensor(file: file, tensor: name) }
            if name == "__metadata__" {
                metadata = try parseMetadata(value, file: file)
            } else {
                tensors.append(try parseTensor(name, value, file: file))
            }
        }

        // Tile the data buffer: sorted by offsets, each tensor begins where the previous ended.
        tensors.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound) }
        let dataStart = 8 + headerLength
        let bufferSize = bytes.count - dataStart
        var end = 0
        for t in tensors {
            let (b, e) = (t.dataOffsets.lowerBound, t.dataOffsets.upperBound)
            if b > end { throw SafetensorsError.dataHole(file: file, tensor: t.name, expectedBegin: end, begin: b) }
            if b < end { throw SafetensorsError.dataOverlap(file: file, tensor: t.name, expectedBegin: end, begin: b) }
            if e > bufferSize { throw SafetensorsError.dataPastEnd(file: file, tensor: t.name, end: e, bufferSize: bufferSize) }
            end = e
        }
        guard end == bufferSize else { throw SafetensorsError.trailingData(file: file, dataEnd: end, bufferSize: bufferSize) }
        return (tensors, metadata, dataStart)
    }

    private static func parseMetadata(_ value: HeaderJSON.Value, file: String) throws -> [String: String] {
        switch value {
        case .null: return [:]
        case .object(let items):
            var out: [String: String] = [:]
            for (k, v) in items {
                guard case .string(let s) = v else {
                    throw SafetensorsError.invalidMetadata(file: file, key: k, reason: "value is \(v.typeName), not a string")
                }
                guard out.updateValue(s, forKey: k) == nil else {
                    throw SafetensorsError.invalidMetadata(file: file, key: k, reason: "key appears twice")
                }
            }
            return out
        default:
            throw SafetensorsError.invalidMetadata(file: file, key: nil, reason: "is \(value.typeName), not an object")
        }
    }

    private static func parseTensor(_ name: String, _ value: HeaderJSON.Value, file: String) throws -> TensorInfo {
        guard case .object(let fields) = value else {
            throw SafetensorsError.invalidTensorEntry(file: file, tensor: name, reason: "entry is \(value.typeName), not an object")
        }
        var dtypeValue: HeaderJSON.Value?, shapeValue: HeaderJSON.Value?, offsetsValue: HeaderJSON.Value?
        func duplicateField(_ k: String) -> SafetensorsError {
            .invalidTensorEntry(file: file, tensor: name, reason: "field \"\(k)\" appears twice")
        }
        for (k, v) in fields {
            switch k {
            case "dtype": if dtypeValue != nil { throw duplicateField(k) }; dtypeValue = v
            case "shape": if shapeValue != nil { throw duplicateField(k) }; shapeValue = v
            case "data_offsets": if offsetsValue != nil { throw duplicateField(k) }; offsetsValue = v
            default: continue   // unknown fields are ignored, as serde does
            }
        }
        guard let dtypeValue else { throw SafetensorsError.invalidTensorEntry(file: file, tensor: name, reason: "missing \"dtype\"") }
        guard let shapeValue else { throw SafetensorsError.invalidTensorEntry(file: file, tensor: name, reason: "missing \"shape\"") }
        guard let offsetsValue else { throw SafetensorsError.invalidTensorEntry(file: file, tensor: name, reason: "missing \"data_offsets\"") }
        guard case .string(let dtypeName) = dtypeValue else {
            throw SafetensorsError.invalidTensorEntry(file: file, tensor: name, reason: "\"dtype\" is \(dtypeValue.typeName), not a string")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            if knownUnsupportedDTypes.contains(dtypeName) {
                throw SafetensorsError.unsupportedDType(file: file, tensor: name, dtype: dtypeName)
            }
            throw SafetensorsError.unknownDType(file: file, tensor: name, dtype: dtypeName)
        }
        guard case .array(let dims) = shapeValue else {
            throw SafetensorsError.invalidTensorEntry(file: file, tensor: name, reason: "\"shape\" is \(shapeValue.typeName), not an array")
        }
        var shape: [Int] = []
        var elements = 1
        for d in dims {
            let dim: Int
            do { dim = try integer(d) } catch let reason as IntegerProblem {
                throw SafetensorsError.invalidShape(file: file, tensor: name, reason: "dimension \(reason.text)")
            }
            shape.append(dim)
            let (m, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else {
                throw SafetensorsError.invalidShape(file: file, tensor: name, reason: "element count of \(dims.count)-D shape overflows")
            }
            elements = m
        }
        let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else {
            throw SafetensorsError.invalidShape(file: file, tensor: name, reason: "byte count of shape \(shape) \(dtypeName) overflows")
        }
        guard case .array(let offs) = offsetsValue, offs.count == 2 else {
            throw SafetensorsError.invalidOffsets(file: file, tensor: name, reason: "must be an array of two integers")
        }
        let begin: Int, end: Int
        do { (begin, end) = (try integer(offs[0]), try integer(offs[1])) } catch let reason as IntegerProblem {
            throw SafetensorsError.invalidOffsets(file: file, tensor: name, reason: "offset \(reason.text)")
        }
        guard begin <= end else {
            throw SafetensorsError.invalidOffsets(file: file, tensor: name, reason: "begin \(begin) is after end \(end)")
        }
        guard end - begin == byteCount else {
            throw SafetensorsError.byteCountMismatch(file: file, tensor: name, expected: byteCount, found: end - begin)
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// Why a JSON value is not a usable non-negative integer.
    struct IntegerProblem: Error { var text: String }

    /// A JSON number that is a non-negative integer fitting in `Int`.
    static func integer(_ v: HeaderJSON.Value) throws -> Int {
        guard case .number(let text) = v else { throw IntegerProblem(text: "is \(v.typeName), not an integer") }
        if text.hasPrefix("-") { throw IntegerProblem(text: "\(text) is negative") }
        guard text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { throw IntegerProblem(text: "\(text) is not an integer") }
        guard let n = Int(text) else { throw IntegerProblem(text: "\(text) is too large") }
        return n
    }
}
