import Foundation
import SAETrackCore

/// How activations are stored on disk: 4-byte float32, or 2-byte float16 / bfloat16 (half the
/// size; a value reads back as the nearest representable one, ties to even).
///
/// | storage | bytes | relative rounding error (normal range) | range |
/// |---|---|---|---|
/// | F32  | 4 | none | float32 |
/// | F16  | 2 | ≤ 2⁻¹¹ | ±65504 (larger → ±inf; below 6.1e-5 subnormal, absolute error ≤ 2⁻²⁵) |
/// | BF16 | 2 | ≤ 2⁻⁸  | float32's |
///
/// F16 is IEEE binary16 with round-to-nearest-even (numpy's `astype(float16)`); BF16 keeps the top
/// 16 bits of the float32 after rounding to nearest even on the 16 dropped bits (PyTorch's
/// `.to(torch.bfloat16)`), every NaN becoming the quiet NaN 0x7FC0 (PyTorch's scalar rule; its
/// vectorised CPU path writes 0xFFFF, also a NaN). Activations holding NaN are refused before they
/// are stored, so the choice never reaches a file SAETrack writes.
public enum ActivationDType: String, Codable, CaseIterable, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"

    /// The safetensors dtype it is written as.
    public var dtype: DType {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        }
    }

    /// Parses `f32`, `f16`, `bf16` (any case).
    public init?(name: String) { self.init(rawValue: name.uppercased()) }

    /// bfloat16 bits of `x`, rounded to nearest even; every NaN becomes 0x7FC0 (as PyTorch's).
    @inline(__always)
    public static func bf16Bits(_ x: Float) -> UInt16 {
        let b = x.bitPattern
        if x.isNaN { return 0x7FC0 }
        return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }

    /// The value `x` reads back as after being stored with this dtype.
    public func rounded(_ x: Float) -> Float {
        switch self {
        case .f32: return x
        case .f16: return Float(Float16(x))
        case .bf16: return Float(bitPattern: UInt32(Self.bf16Bits(x)) << 16)
        }
    }

    /// Little-endian bytes of `values` in this dtype.
    public func encode(_ values: UnsafeBufferPointer<Float>) -> Data {
        switch self {
        case .f32:
            return Data(buffer: values)
        case .f16, .bf16:
            var out = Data(count: values.count * 2)
            out.withUnsafeMutableBytes { raw in
                let dst = raw.bindMemory(to: UInt16.self)
                if self == .f16 {
                    for i in 0..<values.count { dst[i] = Float16(values[i]).bitPattern.littleEndian }
                } else {
                    for i in 0..<values.count { dst[i] = Self.bf16Bits(values[i]).littleEndian }
                }
            }
            return out
        }
    }
}

extension TensorData {
    /// A (rows, cols) matrix stored as `storage` (F32, F16 or BF16).
    public init(_ m: Matrix, storage: ActivationDType) {
        let bytes = m.withUnsafeBufferPointer { storage.encode($0) }
        self.init(dtype: storage.dtype, shape: [m.rows, m.cols], bytes: bytes)
    }
}
