import Foundation

/// Runs Debian's `chromium` headless on a local HTML file: the DOM after its scripts ran (with a
/// checking script injected) and a full-page PNG screenshot. Used by the browser test of the report.
struct HeadlessChromium {
    /// The browser executable: `$SAETRACK_CHROMIUM`, else the first of chromium / chromium-browser /
    /// google-chrome on PATH; nil when none is installed (`make test` installs `chromium`).
    static let executable: String? = {
        let env = ProcessInfo.processInfo.environment
        if let p = env["SAETRACK_CHROMIUM"], FileManager.default.isExecutableFile(atPath: p) { return p }
        let dirs = (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for d in dirs where FileManager.default.isExecutableFile(atPath: d + "/" + name) { return d + "/" + name }
        }
        return nil
    }()

    /// `make test` sets SAETRACK_REQUIRE_BROWSER=1 so a missing browser fails there instead of skipping.
    static var required: Bool { ProcessInfo.processInfo.environment["SAETRACK_REQUIRE_BROWSER"] == "1" }

    enum Failure: Error, CustomStringConvertible {
        case missing
        case timedOut(seconds: Double, arguments: [String])
        case exited(status: Int32, stderr: String)
        var description: String {
            switch self {
            case .missing: return "no chromium on PATH (apt-get install chromium, or set SAETRACK_CHROMIUM)"
            case let .timedOut(s, args): return "chromium did not finish within \(s) s: \(args.joined(separator: " "))"
            case let .exited(status, stderr): return "chromium exited with status \(status): \(stderr.suffix(2000))"
            }
        }
    }

    let path: String
    /// A fresh profile directory per instance (tests run in parallel).
    let profile: URL
    var timeout: Double = 90

    init() throws {
        guard let p = Self.executable else { throw Failure.missing }
        path = p
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-chromium-\(UUID().uuidString)")
    }

    /// Flags shared by every run: no sandbox (CI containers run as root), no GPU, no network
    /// services, no first-run UI, a private profile.
    private var common: [String] {
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--mute-audio",
         "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0"]
    }

    /// Runs chromium with `arguments`; returns (stdout, stderr).
    func run(_ arguments: [String]) throws -> (stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = common + arguments
        // Output goes to files (no pipe buffers to drain while waiting).
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let outURL = profile.appendingPathComponent("stdout-\(UUID().uuidString)"), errURL = profile.appendingPathComponent("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw Failure.timedOut(seconds: timeout, arguments: arguments)
        }
        process.waitUntilExit()
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? "", stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else { throw Failure.exited(status: process.terminationStatus, stderr: stderr) }
        return (stdout, stderr)
    }

    /// The serialised DOM of `file` after its scripts ran (timers get `budgetMilliseconds` of virtual time).
    func dumpDOM(_ file: URL, budgetMilliseconds: Int = 3000) throws -> (dom: String, stderr: String) {
        let r = try run(["--window-size=1280,900", "--virtual-time-budget=\(budgetMilliseconds)", "--dump-dom", file.absoluteString])
        return (r.stdout, r.stderr)
    }

    /// A PNG of `file` rendered at `width` × `height` CSS pixels.
    func screenshot(_ file: URL, to png: URL, width: Int = 1280, height: Int) throws {
        try FileManager.default.createDirectory(at: png.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = try run(["--window-size=\(width),\(height)", "--virtual-time-budget=2000", "--screenshot=\(png.path)", file.absoluteString])
    }

    func cleanUp() { try? FileManager.default.removeItem(at: profile) }
}
