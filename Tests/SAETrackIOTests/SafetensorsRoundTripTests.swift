import Foundation
import Testing
@testable import SAETrackIO

@Test("write then read returns the same tensors, metadata and a header padded to 8 bytes")
func safetensorsRoundTrip() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-rt-\(UUID())")
    let url = dir.appendingPathComponent("t.safetensors")
    defer { try? FileManager.default.removeItem(at: dir) }
    try SafetensorsWriter.write(
        ["w": TensorData(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]), "ids": TensorData(shape: [3], int32s: [7, -8, 9])],
        metadata: ["format": "pt"], to: url)
    let f = try SafetensorsFile(contentsOf: url)
    #expect(try f.matrix("w").storage == [1, 2, 3, 4, 5, 6])
    #expect(try f.int32s("ids") == [7, -8, 9])
    #expect(f.metadata == ["format": "pt"])
    let raw = try Data(contentsOf: url)
    let n = raw.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    #expect(n % 8 == 0)
}
