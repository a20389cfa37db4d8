import Foundation
import SAETrackIO

/// Reads documents from a text or JSONL file incrementally (1 MiB at a time), so files larger
/// than memory stream through.
///
/// - `.jsonl`: one JSON object per line; the document is its `textField` (default `text`).
///   Blank lines are skipped; a line that is not an object with that string field is an error
///   naming the file and line.
/// - `.lines`: every non-empty line is a document (what Hugging Face's `text` loader does).
/// - `.paragraphs`: documents are separated by blank lines; newlines inside are kept.
public struct DocumentReader {
    public enum Format: String, CaseIterable, Sendable {
        case jsonl, lines, paragraphs

        /// `.jsonl` for `.jsonl`/`.json`/`.ndjson` files, else `.lines`.
        public static func guess(for url: URL) -> Format {
            ["jsonl", "json", "ndjson"].contains(url.pathExtension.lowercased()) ? .jsonl : .lines
        }
    }

    public let url: URL
    public let format: Format
    public let textField: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private var atEOF = false
    private var lineNumber = 0
    /// Bytes consumed so far (for progress).
    public private(set) var bytesRead = 0

    public init(url: URL, format: Format? = nil, textField: String = "text") throws {
        guard let h = FileHandle(forReadingAtPath: url.path) else {
            throw TokenDataError.unreadable(file: url.path, reason: "no such file or not readable")
        }
        self.url = url
        self.format = format ?? .guess(for: url)
        self.textField = textField
        handle = h
    }

    /// The next document, or nil at the end of the file.
    public mutating func next() throws -> String? {
        switch format {
        case .lines:
            while let line = try nextLine() {
                if !line.isEmpty { return line }
            }
            return nil
        case .paragraphs:
            var lines: [String] = []
            while let line = try nextLine() {
                if line.trimmingCharacters(in: .whitespaces).isEmpty {
                    if !lines.isEmpty { return lines.joined(separator: "\n") }
                } else {
                    lines.append(line)
                }
            }
            return lines.isEmpty ? nil : lines.joined(separator: "\n")
        case .jsonl:
            while let line = try nextLine() {
                if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                let object: Any
                do { object = try JSONSerialization.jsonObject(with: Data(line.utf8)) } catch {
                    throw TokenDataError.malformedJSONL(file: url.path, line: lineNumber, reason: "invalid JSON")
                }
                guard let dict = object as? [String: Any], let text = dict[textField] as? String else {
                    throw TokenDataError.malformedJSONL(file: url.path, line: lineNumber, reason: "no string field \"\(textField)\"")
                }
                return text
            }
            return nil
        }
    }

    /// The next line without its terminator (`\n` or `\r\n`), or nil at the end.
    private mutating func nextLine() throws -> String? {
        while true {
            if let nl = buffer[bufferStart...].firstIndex(of: 0x0A) {
                var end = nl
                if end > bufferStart && buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[bufferStart..<end], as: UTF8.self)
                bytesRead += nl + 1 - bufferStart
                bufferStart = nl + 1
                lineNumber += 1
                return line
            }
            if atEOF {
                guard bufferStart < buffer.count else { return nil }
                let line = String(decoding: buffer[bufferStart...], as: UTF8.self)
                bytesRead += buffer.count - bufferStart
                bufferStart = buffer.count
                lineNumber += 1
                return line
            }
            buffer.removeFirst(bufferStart)
            bufferStart = 0
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 1 << 20) } catch {
                throw TokenDataError.unreadable(file: url.path, reason: SystemErrorText.describe(error))
            }
            if let chunk, !chunk.isEmpty { buffer.append(contentsOf: chunk) } else { atEOF = true }
        }
    }
}
