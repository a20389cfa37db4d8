import Foundation

/// Locates the committed fixtures written by `Tests/Fixtures/io/generate.py`.
enum IOFixtures {
    /// `Tests/Fixtures/io`.
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures/io")
    }()

    /// A path under `Tests/Fixtures/io`.
    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// A fresh temporary directory; the caller removes it.
    static func temporaryDirectory(_ label: String = "io") -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-\(label)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A JSON file as a dictionary.
    static func json(_ relative: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url(relative))) as! [String: Any]
    }
}
