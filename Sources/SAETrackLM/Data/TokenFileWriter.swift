import Foundation
import SAETrackIO

/// Writes a token file (`tokens` I32 [rows, context]) row by row, so a corpus larger than memory
/// can be packed. Rows go to a temporary file beside the destination behind a reserved header;
/// `finish` writes the real header (space-padded into the reservation) and renames the file into
/// place, so readers never see a partial file.
public final class TokenFileWriter {
    public let url: URL
    public let context: Int
    public private(set) var rows = 0
    private let temporaryURL: URL
    private let handle: FileHandle
    private let reservedHeaderBytes: Int
    private var buffer: [UInt8] = []
    private var finished = false

    /// Opens the temporary file. `metadataBudget` bounds the size of the metadata given to `finish`.
    public init(url: URL, context: Int, metadataBudget: Int = 16_384) throws {
        self.url = url
        self.context = context
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        temporaryURL = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporaryURL.path, contents: nil),
              let h = FileHandle(forWritingAtPath: temporaryURL.path) else {
            throw TokenDataError.writeFailed(file: url.path, reason: "cannot create \(temporaryURL.path)")
        }
        handle = h
        let reserved = (metadataBudget + 256 + 7) / 8 * 8
        reservedHeaderBytes = reserved
        do { try handle.write(contentsOf: Data(repeating: 0x20, count: 8 + reserved)) } catch {
            throw TokenDataError.writeFailed(file: url.path, reason: SystemErrorText.describe(error))
        }
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        if !finished {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporaryURL)
        }
    }

    /// Appends one row (`row.count == context`).
    public func append<C: Collection>(row: C) throws where C.Element == Int32 {
        precondition(row.count == context, "TokenFileWriter: row of \(row.count) tokens, context is \(context)")
        for t in row {
            let v = UInt32(bitPattern: t.littleEndian)
            buffer.append(UInt8(truncatingIfNeeded: v)); buffer.append(UInt8(truncatingIfNeeded: v >> 8))
            buffer.append(UInt8(truncatingIfNeeded: v >> 16)); buffer.append(UInt8(truncatingIfNeeded: v >> 24))
        }
        rows += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        do { try handle.write(contentsOf: buffer) } catch {
            throw TokenDataError.writeFailed(file: url.path, reason: SystemErrorText.describe(error))
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the header, syncs and moves the file into place.
    public func finish(metadata: [String: String]) throws {
        try flush()
        let items = metadata.keys.sorted().map { "\(JSONFile.quote($0)):\(JSONFile.quote(metadata[$0]!))" }
        let bytes = rows * context * 4
        var header = "{"
        if !items.isEmpty { header += "\"__metadata__\":{\(items.joined(separator: ","))}," }
        header += "\"tokens\":{\"dtype\":\"I32\",\"shape\":[\(rows),\(context)],\"data_offsets\":[0,\(bytes)]}}"
        var headerBytes = Array(header.utf8)
        guard headerBytes.count <= reservedHeaderBytes else {
            throw TokenDataError.writeFailed(file: url.path, reason: "metadata of \(headerBytes.count) bytes exceeds the reserved \(reservedHeaderBytes)")
        }
        headerBytes.append(contentsOf: [UInt8](repeating: 0x20, count: reservedHeaderBytes - headerBytes.count))
        var length = UInt64(reservedHeaderBytes).littleEndian
        var prefix = withUnsafeBytes(of: &length) { Array($0) }
        prefix.append(contentsOf: headerBytes)
        do {
            try handle.seek(toOffset: 0)
            try handle.write(contentsOf: prefix)
            try handle.synchronize()
            try handle.close()
            guard rename(temporaryURL.path, url.path) == 0 else {
                throw TokenDataError.writeFailed(file: url.path, reason: "rename failed (errno \(errno))")
            }
        } catch {
            throw TokenDataError.writeFailed(file: url.path, reason: SystemErrorText.describe(error))
        }
        finished = true
    }
}
