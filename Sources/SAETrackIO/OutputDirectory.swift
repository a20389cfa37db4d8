import Foundation

/// Checks and housekeeping of a command's output directory before a run starts.
public enum OutputDirectory {
    /// Removes what interrupted atomic writes left under `directory` (any depth): the hidden
    /// temporaries of ``AtomicFile``, ``DirectoryReplacement`` and the trainer state
    /// (`.<name>.tmp-<pid|UUID>`, `.<name>.<UUID>.tmp`), and hidden `.<name>.old-…` copies. An
    /// `.old-` copy whose `<name>` is missing (killed between the two renames of a directory
    /// replacement) is renamed back, so the previous version is restored rather than lost.
    /// Temporaries named after a process that is still running are left alone.
    /// - Returns: the paths removed or restored, for a progress line.
    @discardableResult
    public static func removeInterruptedWrites(in directory: URL) throws -> [String] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else { return [] }
        var leftovers: [URL] = []
        var stack = [(directory, 0)]
        while let (dir, depth) = stack.popLast() {
            let names = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
            for name in names {
                let url = dir.appendingPathComponent(name)
                if leftover(name) != nil { leftovers.append(url); continue }
                var sub: ObjCBool = false
                if depth < 4, fm.fileExists(atPath: url.path, isDirectory: &sub), sub.boolValue { stack.append((url, depth + 1)) }
            }
        }
        var done: [String] = []
        // Restore first (an `.old-` copy whose original is gone), then remove the rest.
        for url in leftovers.sorted(by: { $0.path < $1.path }) {
            guard let (original, kind, owner) = leftover(url.lastPathComponent) else { continue }
            if let owner, owner != getpid(), kill(owner, 0) == 0 { continue }     // a live writer
            let target = url.deletingLastPathComponent().appendingPathComponent(original)
            if kind == "old", !fm.fileExists(atPath: target.path) {
                try fm.moveItem(at: url, to: target)
                done.append("restored \(target.path) from an interrupted replacement")
            }
        }
        for url in leftovers where fm.fileExists(atPath: url.path) {
            guard let (_, _, owner) = leftover(url.lastPathComponent) else { continue }
            if let owner, owner != getpid(), kill(owner, 0) == 0 { continue }
            try fm.removeItem(at: url)
            done.append("removed \(url.path)")
        }
        return done
    }

    /// (original name, "tmp" or "old", writer pid when the suffix is one) for a leftover's name.
    static func leftover(_ name: String) -> (String, String, pid_t?)? {
        guard name.hasPrefix("."), name.count > 1 else { return nil }
        let body = name.dropFirst()
        for kind in ["tmp", "old"] {
            if let r = body.range(of: ".\(kind)-", options: .backwards) {
                let suffix = body[r.upperBound...]
                let original = String(body[..<r.lowerBound])
                guard !original.isEmpty else { return nil }
                if let pid = pid_t(suffix), !suffix.isEmpty { return (original, kind, pid) }
                if UUID(uuidString: String(suffix)) != nil { return (original, kind, nil) }
            }
        }
        // TokenFileWriter: .<name>.<UUID>.tmp
        if body.hasSuffix(".tmp") {
            let stem = body.dropLast(4)
            if let dot = stem.lastIndex(of: "."), UUID(uuidString: String(stem[stem.index(after: dot)...])) != nil {
                return (String(stem[..<dot]), "tmp", nil)
            }
        }
        return nil
    }

    /// Creates `directory` if needed and checks a file can be written in it, so a run fails
    /// before its first step rather than when it saves its first result.
    public static func requireWritable(_ directory: URL) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw OutputDirectoryError.notWritable(path: directory.path, reason: SystemErrorText.describe(error))
        }
        let probe = directory.appendingPathComponent(".write-probe-\(getpid())")
        guard fm.createFile(atPath: probe.path, contents: Data("ok".utf8)) else {
            throw OutputDirectoryError.notWritable(path: directory.path, reason: String(cString: strerror(errno)))
        }
        try? fm.removeItem(at: probe)
    }
}

/// An output directory cannot be used.
public enum OutputDirectoryError: Error, CustomStringConvertible, Equatable {
    case notWritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .notWritable(p, r): return "\(p): cannot write the output here: \(r)"
        }
    }
}
