/// Conversions from little-endian raw tensor bytes to Float / Int32, safe for unaligned data.
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

    static func toInt32(_ raw: UnsafeRawBufferPointer, dtype: DType, count: Int) -> [Int32]? {
        switch dtype {
        case .i32: return (0..<count).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self) }
        case .i64: return (0..<count).map { Int32(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        case .u32: return (0..<count).map { Int32(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
        case .i16: return (0..<count).map { Int32(raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
        case .u16: return (0..<count).map { Int32(raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
        case .u8, .bool: return (0..<count).map { Int32(raw[$0]) }
        case .i8: return (0..<count).map { Int32(Int8(bitPattern: raw[$0])) }
        default: return nil
        }
    }

    private static func memcpyUnaligned(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafeRawBufferPointer, _ bytes: Int) {
        UnsafeMutableRawPointer(dst).copyMemory(from: src.baseAddress!, byteCount: bytes)
    }
}
