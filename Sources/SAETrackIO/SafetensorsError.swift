/// Errors raised while reading or writing safetensors files. Each case names the file and, where
/// one is involved, the tensor; the checks mirror the reference implementation's `validate()`.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or mapped.
    case unreadable(file: String, reason: String)
    /// The file is shorter than the 8-byte header length.
    case fileTooSmall(file: String, size: Int)
    /// The header length exceeds 100,000,000 bytes (the reference `MAX_HEADER_SIZE`).
    case headerTooLarge(file: String, length: UInt64)
    /// The header length runs past the end of the file.
    case headerPastEnd(file: String, length: UInt64, fileSize: Int)
    /// The header does not start with `{`.
    case headerNotObject(file: String)
    /// The header is not valid UTF-8 (byte offset within the header).
    case headerNotUTF8(file: String, offset: Int)
    /// The header is not valid JSON (byte offset within the header).
    case headerInvalidJSON(file: String, offset: Int, reason: String)
    /// A tensor name occurs twice in the header.
    case duplicateTensor(file: String, tensor: String)
    /// `__metadata__` is not a string → string map.
    case invalidMetadata(file: String, key: String?, reason: String)
    /// A tensor entry lacks `dtype`, `shape` or `data_offsets`, or has the wrong JSON types.
    case invalidTensorEntry(file: String, tensor: String, reason: String)
    /// A dtype string the format does not define.
    case unknownDType(file: String, tensor: String, dtype: String)
    /// A dtype the format defines but SAETrack does not read (F8, F6, F4, C64), or a conversion
    /// that does not apply to the tensor's dtype.
    case unsupportedDType(file: String, tensor: String, dtype: String)
    /// A shape dimension is negative, not an integer, or the element or byte count overflows.
    case invalidShape(file: String, tensor: String, reason: String)
    /// `data_offsets` is not two non-negative integers with begin ≤ end.
    case invalidOffsets(file: String, tensor: String, reason: String)
    /// `end − begin` differs from shape × dtype size.
    case byteCountMismatch(file: String, tensor: String, expected: Int, found: Int)
    /// A tensor begins after the previous one ends (sorted by offset): a hole in the buffer.
    case dataHole(file: String, tensor: String, expectedBegin: Int, begin: Int)
    /// A tensor begins before the previous one ends: overlapping data.
    case dataOverlap(file: String, tensor: String, expectedBegin: Int, begin: Int)
    /// A tensor's data runs past the end of the file.
    case dataPastEnd(file: String, tensor: String, end: Int, bufferSize: Int)
    /// The data buffer is longer than the last tensor's end (the reference `MetadataIncompleteBuffer`).
    case trailingData(file: String, dataEnd: Int, bufferSize: Int)
    /// No tensor of that name.
    case missingTensor(file: String, tensor: String)
    /// A tensor handed to the writer is inconsistent (byte count vs shape × dtype).
    case invalidTensorData(file: String, tensor: String, reason: String)
    /// Writing failed.
    case writeFailed(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(f, r): return "\(f): cannot read: \(r)"
        case let .fileTooSmall(f, n): return "\(f): \(n) bytes, shorter than the 8-byte safetensors header length"
        case let .headerTooLarge(f, n): return "\(f): header length \(n) exceeds the 100000000-byte limit"
        case let .headerPastEnd(f, n, s): return "\(f): header length \(n) runs past the end of the \(s)-byte file"
        case let .headerNotObject(f): return "\(f): header does not start with '{'"
        case let .headerNotUTF8(f, o): return "\(f): header is not valid UTF-8 (byte \(o) of the header)"
        case let .headerInvalidJSON(f, o, r): return "\(f): header is not valid JSON at byte \(o): \(r)"
        case let .duplicateTensor(f, t): return "\(f): tensor '\(t)' appears twice in the header"
        case let .invalidMetadata(f, k, r):
            return "\(f): __metadata__\(k.map { " key '\($0)'" } ?? ""): \(r) (must map strings to strings)"
        case let .invalidTensorEntry(f, t, r): return "\(f): tensor '\(t)': \(r)"
        case let .unknownDType(f, t, d): return "\(f): tensor '\(t)' has unknown dtype \"\(d)\""
        case let .unsupportedDType(f, t, d): return "\(f): tensor '\(t)' has unsupported dtype \(d)"
        case let .invalidShape(f, t, r): return "\(f): tensor '\(t)' has an invalid shape: \(r)"
        case let .invalidOffsets(f, t, r): return "\(f): tensor '\(t)' has invalid data_offsets: \(r)"
        case let .byteCountMismatch(f, t, e, n):
            return "\(f): tensor '\(t)' spans \(n) bytes but its shape and dtype need \(e)"
        case let .dataHole(f, t, e, b): return "\(f): tensor '\(t)' begins at \(b), leaving a hole after the previous tensor's end \(e)"
        case let .dataOverlap(f, t, e, b): return "\(f): tensor '\(t)' begins at \(b), overlapping the previous tensor, which ends at \(e)"
        case let .dataPastEnd(f, t, e, s): return "\(f): tensor '\(t)' ends at \(e), past the end of the \(s)-byte data buffer"
        case let .trailingData(f, e, s): return "\(f): tensors end at \(e) but the data buffer holds \(s) bytes"
        case let .missingTensor(f, t): return "\(f): no tensor named '\(t)'"
        case let .invalidTensorData(f, t, r): return "\(f): cannot write tensor '\(t)': \(r)"
        case let .writeFailed(f, r): return "\(f): write failed: \(r)"
        }
    }
}
