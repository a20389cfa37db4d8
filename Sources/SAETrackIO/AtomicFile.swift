import Foundation

/// Atomic file writes: write to a temporary file beside the target, fsync, rename over it.
/// A killed process leaves either the old file or the new one, never half of one.
public enum AtomicFile {
    /// Writes `data` to `url` atomically, creating the parent directory when needed.
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        let file = url.path
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw SafetensorsError.writeFailed(file: file, reason: "cannot create \(dir.path): \(SystemErrorText.describe(error))")
        }
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw SafetensorsError.writeFailed(file: file, reason: String(cString: strerror(errno))) }
        var ok = true
        var reason = ""
        data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let w = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                if w <= 0 { ok = false; reason = String(cString: strerror(errno)); break }
                done += w
            }
        }
        if ok && fsync(fd) != 0 { ok = false; reason = String(cString: strerror(errno)) }
        close(fd)
        guard ok else {
            unlink(tmp.path)
            throw SafetensorsError.writeFailed(file: file, reason: reason)
        }
        guard rename(tmp.path, url.path) == 0 else {
            let r = String(cString: strerror(errno))
            unlink(tmp.path)
            throw SafetensorsError.writeFailed(file: file, reason: r)
        }
    }

    /// Writes a UTF-8 string atomically.
    public static func write(_ text: String, to url: URL) throws { try write(Data(text.utf8), to: url) }
}
