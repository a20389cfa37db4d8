import Foundation
import Testing
import SAETrackCore
@testable import SAETrackIO

/// The tensors of a file as writer input (raw bytes, so every dtype is covered).
func tensorData(of f: SafetensorsFile) throws -> [String: TensorData] {
    try Dictionary(uniqueKeysWithValues: f.tensors.map { ($0.name, TensorData(dtype: $0.dtype, shape: $0.shape, bytes: try f.rawBytes($0.name))) })
}

@Test("the writer reproduces Python's safetensors byte for byte (order, escaping, padding, metadata)",
      arguments: [("all-dtypes.safetensors", ["format": "pt"]), ("all-dtypes-no-metadata.safetensors", nil),
                  ("all-dtypes-empty-metadata.safetensors", [:]), ("no-tensors.safetensors", nil),
                  ("../models/neox-tiny/model.safetensors", ["format": "pt"])] as [(String, [String: String]?)])
func writerMatchesReference(_ name: String, _ metadata: [String: String]?) throws {
    let url = IOFixtures.url("safetensors/\(name)")
    let f = try SafetensorsFile(contentsOf: url)
    let bytes = try SafetensorsWriter.serialize(tensorData(of: f), metadata: metadata)
    #expect(bytes == (try Data(contentsOf: url)))
}

@Test("with several metadata keys only the key order may differ from Python (it writes hash-map order)")
func writerMultiMetadata() throws {
    let url = IOFixtures.url("safetensors/all-dtypes-multi-metadata.safetensors")
    let f = try SafetensorsFile(contentsOf: url)
    let bytes = try SafetensorsWriter.serialize(tensorData(of: f), metadata: f.metadata)
    let original = try Data(contentsOf: url)
    #expect(bytes.count == original.count)
    #expect(Data(bytes.sorted()) == Data(original.sorted()))
    let back = try SafetensorsFile(bytes: bytes)
    #expect(back.metadata == f.metadata && back.tensors == f.tensors)
}

@Test("write then read round-trips; inconsistent tensors are refused, not written")
func writerRoundTripAndErrors() throws {
    let dir = IOFixtures.temporaryDirectory("writer")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("t.safetensors")
    try SafetensorsWriter.write(
        ["w": TensorData(Matrix(rows: 2, cols: 3, storage: [1, 2, 3, 4, 5, 6])), "ids": TensorData(shape: [3], int32s: [7, -8, 9]),
         "mask": TensorData(shape: [2, 2], uint8s: [1, 0, 0, 1])],
        metadata: ["format": "pt"], to: url)
    let f = try SafetensorsFile(contentsOf: url)
    #expect(try f.matrix("w") == Matrix(rows: 2, cols: 3, storage: [1, 2, 3, 4, 5, 6]))
    #expect(try f.int32s("ids") == [7, -8, 9])
    #expect(try f.int32s("mask") == [1, 0, 0, 1])
    #expect(f.tensorNames == ["w", "ids", "mask"])   // F32, I32, U8: descending dtype order
    let bad = ["x": TensorData(dtype: .f32, shape: [3], bytes: Data(count: 8))]
    #expect(throws: SafetensorsError.invalidTensorData(file: url.path, tensor: "x", reason: "8 bytes for shape [3] F32")) {
        try SafetensorsWriter.write(bad, to: url)
    }
    #expect(throws: SafetensorsError.self) { try SafetensorsWriter.serialize(["__metadata__": TensorData(shape: [1], floats: [1])]) }
    #expect(try SafetensorsFile(contentsOf: url).tensors.count == 3)   // the old file is intact
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["t.safetensors"])
}
