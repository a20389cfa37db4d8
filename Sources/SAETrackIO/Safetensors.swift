import Foundation
import SAETrackCore

/// Errors raised while reading or writing safetensors files. Each names the file.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case malformedHeader(file: String, reason: String)
    case missingTensor(file: String, tensor: String)
    case unsupportedDType(file: String, tensor: String, dtype: String)
    case writeFailed(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(f, r): return "\(f): cannot read: \(r)"
        case let .malformedHeader(f, r): return "\(f): malformed safetensors header: \(r)"
        case let .missingTensor(f, t): return "\(f): no tensor named '\(t)'"
        case let .unsupportedDType(f, t, d): return "\(f): tensor '\(t)' has unsupported dtype \(d)"
        case let .writeFailed(f, r): return "\(f): write failed: \(r)"
        }
    }
}

/// Name, element type, shape and byte range of one tensor in a safetensors file.
public struct TensorInfo: Equatable, Sendable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    /// Byte offsets relative to the start of the data section.
    public var dataOffsets: Range<Int>
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A safetensors file opened lazily: the header is parsed on open, tensor bytes are read from a
/// memory map only when asked for.
public struct SafetensorsFile: @unchecked Sendable {
    /// The file's path (used in every error message).
    public let path: String
    /// Tensors in data-offset order.
    public let tensors: [TensorInfo]
    /// The `__metadata__` map (string → string).
    public let metadata: [String: String]
    private let data: Data
    private let dataStart: Int
    private let index: [String: Int]

    /// Opens and parses the header of the file at `url`.
    public init(contentsOf url: URL) throws {
        path = url.path
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SafetensorsError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        (tensors, metadata, dataStart) = try SafetensorsHeader.parse(data, file: url.path)
        var idx: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { idx[t.name] = i }
        index = idx
    }

    /// Tensor names in data-offset order.
    public var tensorNames: [String] { tensors.map(\.name) }

    /// Header entry for `name`, or nil.
    public func info(_ name: String) -> TensorInfo? { index[name].map { tensors[$0] } }

    /// The raw little-endian bytes of `name`.
    public func rawBytes(_ name: String) throws -> Data {
        guard let t = info(name) else { throw SafetensorsError.missingTensor(file: path, tensor: name) }
        let lo = dataStart + t.dataOffsets.lowerBound, hi = dataStart + t.dataOffsets.upperBound
        return data.subdata(in: (data.startIndex + lo)..<(data.startIndex + hi))
    }

    /// The elements of `name` converted to `Float` (any numeric dtype; F64/I64 may lose precision).
    public func floats(_ name: String) throws -> [Float] {
        guard let t = info(name) else { throw SafetensorsError.missingTensor(file: path, tensor: name) }
        let bytes = try rawBytes(name)
        return bytes.withUnsafeBytes { raw -> [Float] in
            DTypeConversion.toFloat(raw, dtype: t.dtype, count: t.elementCount)
        }
    }

    /// The elements of `name` converted to `Int32` (integer dtypes only).
    public func int32s(_ name: String) throws -> [Int32] {
        guard let t = info(name) else { throw SafetensorsError.missingTensor(file: path, tensor: name) }
        let bytes = try rawBytes(name)
        guard let out = bytes.withUnsafeBytes({ DTypeConversion.toInt32($0, dtype: t.dtype, count: t.elementCount) }) else {
            throw SafetensorsError.unsupportedDType(file: path, tensor: name, dtype: t.dtype.rawValue + " (integer expected)")
        }
        return out
    }

    /// `name` as a matrix: 2-D tensors keep their shape, 1-D become one row, higher ranks fold
    /// leading dimensions into rows.
    public func matrix(_ name: String) throws -> Matrix {
        guard let t = info(name) else { throw SafetensorsError.missingTensor(file: path, tensor: name) }
        let values = try floats(name)
        let cols = t.shape.last ?? 1
        let rows = t.shape.isEmpty ? 1 : t.shape.dropLast().reduce(1, *)
        return Matrix(rows: rows, cols: cols, storage: values)
    }
}

/// One tensor to write: a name, dtype, shape and its little-endian bytes.
public struct TensorData: Sendable {
    public var dtype: DType
    public var shape: [Int]
    public var bytes: Data

    public init(dtype: DType, shape: [Int], bytes: Data) {
        self.dtype = dtype; self.shape = shape; self.bytes = bytes
    }

    /// An F32 tensor from floats.
    public init(shape: [Int], floats: [Float]) {
        precondition(shape.reduce(1, *) == floats.count, "TensorData: \(floats.count) floats cannot have shape \(shape)")
        self.init(dtype: .f32, shape: shape, bytes: floats.withUnsafeBytes { Data($0) })
    }

    /// An F32 tensor from a matrix (shape [rows, cols]).
    public init(_ m: Matrix) { self.init(shape: [m.rows, m.cols], floats: m.storage) }

    /// An I32 tensor.
    public init(shape: [Int], int32s: [Int32]) {
        precondition(shape.reduce(1, *) == int32s.count, "TensorData: \(int32s.count) ints cannot have shape \(shape)")
        self.init(dtype: .i32, shape: shape, bytes: int32s.withUnsafeBytes { Data($0) })
    }
}
