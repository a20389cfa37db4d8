import Foundation
import SAETrackCore

/// One tensor to write: dtype, shape and its little-endian, row-major bytes.
public struct TensorData: Sendable {
    public var dtype: DType
    public var shape: [Int]
    public var bytes: Data

    /// A tensor from raw little-endian bytes; the writer checks `bytes.count == prod(shape) × dtype size`.
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

    /// A U8 tensor (masks, labels).
    public init(shape: [Int], uint8s: [UInt8]) {
        precondition(shape.reduce(1, *) == uint8s.count, "TensorData: \(uint8s.count) bytes cannot have shape \(shape)")
        self.init(dtype: .u8, shape: shape, bytes: Data(uint8s))
    }
}
