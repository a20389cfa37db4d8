import Foundation
import SAETrackCore

/// Name, element type, shape and byte range of one tensor in a safetensors file.
public struct TensorInfo: Equatable, Sendable {
    public var name: String
    public var dtype: DType
    /// Dimensions; `[]` is a scalar (one element), a 0 anywhere means no elements.
    public var shape: [Int]
    /// Byte offsets relative to the start of the data section.
    public var dataOffsets: Range<Int>
    /// Number of elements (validated not to overflow when the file was opened).
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A safetensors file opened lazily: the header is parsed and fully validated on open (see
/// ``SafetensorsError`` for every check); tensor bytes are read from a memory map only when
/// asked for, without assuming alignment.
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

    /// Maps the file at `url` and validates its header.
    public init(contentsOf url: URL) throws {
        try self.init(bytes: MappedFile.map(url.path), path: url.path)
    }

    /// Validates in-memory safetensors bytes; `path` names them in errors.
    public init(bytes: Data, path: String = "<memory>") throws {
        self.path = path
        data = bytes
        (tensors, metadata, dataStart) = try bytes.withUnsafeBytes { try SafetensorsHeader.parse($0, file: path) }
        var idx: [String: Int] = [:]
        for (i, t) in tensors.enumerated() { idx[t.name] = i }
        index = idx
    }

    /// Tensor names in data-offset order.
    public var tensorNames: [String] { tensors.map(\.name) }

    /// Header entry for `name`, or nil.
    public func info(_ name: String) -> TensorInfo? { index[name].map { tensors[$0] } }

    /// Calls `body` with the tensor's raw little-endian bytes (no copy; possibly unaligned).
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let t = info(name) else { throw SafetensorsError.missingTensor(file: path, tensor: name) }
        return try data.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[(dataStart + t.dataOffsets.lowerBound)..<(dataStart + t.dataOffsets.upperBound)]))
        }
    }

    /// A copy of the raw little-endian bytes of `name`.
    public func rawBytes(_ name: String) throws -> Data { try withRawBytes(name) { Data($0) } }

    /// The elements of `name` converted to `Float` (any dtype; F64, I64, U64 and large I32 may round).
    public func floats(_ name: String) throws -> [Float] {
        guard let t = info(name) else { throw SafetensorsError.missingTensor(file: path, tensor: name) }
        return try withRawBytes(name) { DTypeConversion.toFloat($0, dtype: t.dtype, count: t.elementCount) }
    }

    /// The elements of `name` as `Int32` (integer and BOOL dtypes; I64/U32/U64 values must fit).
    public func int32s(_ name: String) throws -> [Int32] {
        guard let t = info(name) else { throw SafetensorsError.missingTensor(file: path, tensor: name) }
        let out = try withRawBytes(name) { DTypeConversion.toInt32($0, dtype: t.dtype, count: t.elementCount) }
        switch out {
        case .some(.some(let values)): return values
        case .some(.none): throw SafetensorsError.unsupportedDType(file: path, tensor: name, dtype: t.dtype.rawValue + " (a value does not fit in Int32)")
        case .none: throw SafetensorsError.unsupportedDType(file: path, tensor: name, dtype: t.dtype.rawValue + " (integer expected)")
        }
    }

    /// `name` as a matrix: 2-D tensors keep their shape, 1-D and scalars become one row, higher
    /// ranks fold leading dimensions into rows.
    public func matrix(_ name: String) throws -> Matrix {
        guard let t = info(name) else { throw SafetensorsError.missingTensor(file: path, tensor: name) }
        let values = try floats(name)
        let cols = t.shape.last ?? 1
        let rows = t.shape.isEmpty ? 1 : t.shape.dropLast().reduce(1, *)
        return Matrix(rows: rows, cols: cols, storage: values)
    }
}
