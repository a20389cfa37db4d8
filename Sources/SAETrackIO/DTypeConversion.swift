/// Conversions from little-endian raw tensor bytes to Float / Int32, safe for unaligned data
/// (every load is `loadUnaligned` or a byte copy).
enum DTypeConversion {
    static func toFloat(_ raw: UnsafeRawBufferPointer, dtype: DType, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch dtype {
            case .f32:
                if count > 0 { memcpyUnaligned(out.baseAddress!, raw, count * 4) }
            case .f16:
                for i in 0..<count { out[i] = Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            case .bf16:
                for i in 0..<count {
                    out[i] = Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
                }
            case .f64: for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
            case .bool, .u8: for i in 0..<count { out[i] = Float(raw[i]) }
            case .i8: for i in 0..<count { out[i] = Float(Int8(bitPattern: raw[i])) }
            case .i16: for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
            case .u16: for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            case .i32: for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
            case .u32: for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            case .i64: for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
            case .u64: for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
            }
            initialized = count
        }
    }

    /// Integer elements as Int32: nil when the dtype is not an integer type (or BOOL), `.some(nil)`
    /// when a value does not fit.
    static func toInt32(_ raw: UnsafeRawBufferPointer, dtype: DType, count: Int) -> [Int32]?? {
        func checked<T: BinaryInteger>(_ type: T.Type, _ size: Int) -> [Int32]? {
            var out = [Int32](); out.reserveCapacity(count)
            for i in 0..<count {
                guard let v = Int32(exactly: raw.loadUnaligned(fromByteOffset: size * i, as: T.self)) else { return nil }
                out.append(v)
            }
            return out
        }
        switch dtype {
        case .i32: return .some((0..<count).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self) })
        case .i64: return .some(checked(Int64.self, 8))
        case .u64: return .some(checked(UInt64.self, 8))
        case .u32: return .some(checked(UInt32.self, 4))
        case .i16: return .some((0..<count).map { Int32(raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) })
        case .u16: return .some((0..<count).map { Int32(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) })
        case .u8, .bool: return .some((0..<count).map { Int32(raw[$0]) })
        case .i8: return .some((0..<count).map { Int32(Int8(bitPattern: raw[$0])) })
        case .f16, .bf16, .f32, .f64: return nil
        }
    }

    private static func memcpyUnaligned(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafeRawBufferPointer, _ bytes: Int) {
        UnsafeMutableRawPointer(dst).copyMemory(from: src.baseAddress!, byteCount: bytes)
    }
}
