// swift-tools-version:6.0
import PackageDescription

// A separate package that uses SAETrack only through its public API, built by `make test`
// so the API cannot silently break.
let package = Package(
    name: "TrackExample",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "SAETrack", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "TrackExample", dependencies: [.product(name: "SAETrack", package: "SAETrack")]),
    ],
    swiftLanguageModes: [.v5]
)
