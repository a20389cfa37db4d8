import Foundation

/// Makes a directory of files appear all at once: the files are written into a hidden sibling
/// (`.<name>.tmp-<pid>`), which is then renamed onto the destination. An existing destination is
/// first renamed aside and removed afterwards, so readers see the old directory or the new one,
/// never a mixture (a crash between the two renames leaves the old one beside, hidden).
///
/// Run logs (`*.log` files) of an existing destination move into the new directory first (a rename,
/// so a log still open for appending keeps growing there): a run's record outlives the outputs the
/// run replaces.
public enum DirectoryReplacement {
    /// Calls `fill` with an empty temporary directory, then moves it to `url`.
    public static func replace(_ url: URL, fill: (URL) throws -> Void) throws {
        let fm = FileManager.default
        let parent = url.deletingLastPathComponent()
        let tmp = parent.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let old = parent.appendingPathComponent(".\(url.lastPathComponent).old-\(getpid())")
        try? fm.removeItem(at: tmp)
        do {
            try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
            try fill(tmp)
            if fm.fileExists(atPath: url.path) {
                for name in (try? fm.contentsOfDirectory(atPath: url.path)) ?? [] where name.hasSuffix(".log")
                    && !fm.fileExists(atPath: tmp.appendingPathComponent(name).path) {
                    try fm.moveItem(at: url.appendingPathComponent(name), to: tmp.appendingPathComponent(name))
                }
                try? fm.removeItem(at: old)
                try fm.moveItem(at: url, to: old)
            }
            try fm.moveItem(at: tmp, to: url)
            try? fm.removeItem(at: old)
        } catch let e as SafetensorsError {
            try? fm.removeItem(at: tmp)
            throw e
        } catch {
            try? fm.removeItem(at: tmp)
            throw SafetensorsError.writeFailed(file: url.path, reason: SystemErrorText.describe(error))
        }
    }
}
