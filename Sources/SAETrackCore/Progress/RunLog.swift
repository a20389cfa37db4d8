import Foundation

/// The record of a long run: every line goes to standard error (or another echo) and, with a file,
/// is appended to it as a plain line stamped with UTC time, so a run watched in a terminal still
/// leaves a readable log beside its outputs.
///
///     let log = try RunLog(appendingTo: out.appendingPathComponent("train_sae.log"))
///     log.write("train-sae: 4000 steps × 4096 tokens")
///
/// A line reaches the file in one write, and lines from several threads never interleave.
public final class RunLog: @unchecked Sendable {
    /// Standard error alone, no file.
    public static let standardError = RunLog(echo: StandardError.writeLine)

    /// The file lines are appended to, if any.
    public let file: URL?
    private let echo: (String) -> Void
    private let handle: FileHandle?
    private let lock = NSLock()

    /// Lines go to `echo` only.
    public init(echo: @escaping (String) -> Void) {
        self.echo = echo
        file = nil
        handle = nil
    }

    /// Lines go to `echo` and are appended to `file` (created, with its directory, when missing).
    /// - Throws: ``OpenError`` naming the file when it cannot be created or opened for writing.
    public init(appendingTo file: URL, echo: @escaping (String) -> Void = StandardError.writeLine) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw OpenError(path: file.path, reason: "its directory cannot be created (\(error.localizedDescription))")
        }
        if !fm.fileExists(atPath: file.path), !fm.createFile(atPath: file.path, contents: nil) {
            throw OpenError(path: file.path, reason: String(cString: strerror(errno)))
        }
        guard let handle = FileHandle(forWritingAtPath: file.path) else {
            throw OpenError(path: file.path, reason: "it cannot be opened for writing")
        }
        handle.seekToEndOfFile()
        self.echo = echo
        self.file = file
        self.handle = handle
    }

    deinit { try? handle?.close() }

    /// Writes `line` to the echo and to the file.
    public func write(_ line: String) {
        echo(line)
        record(line)
    }

    /// Appends `line` to the file only (a progress line the echo redraws in place).
    public func record(_ line: String) {
        guard let handle else { return }
        var now = time(nil), utc = tm()
        gmtime_r(&now, &utc)
        let stamped = String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ  ", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                             utc.tm_hour, utc.tm_min, utc.tm_sec) + line + "\n"
        lock.lock()
        defer { lock.unlock() }
        handle.write(Data(stamped.utf8))
    }

    /// A log file that cannot be created or opened.
    public struct OpenError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot write the run log \(path): \(reason)" }
    }
}
