import Foundation
import Testing
@testable import SAETrackIO

/// Element values as torch converts them to float32 (written by generate.py).
private func expectedFloats() throws -> SafetensorsFile {
    try SafetensorsFile(contentsOf: IOFixtures.url("safetensors/all-dtypes-expected-f32.safetensors"))
}

/// Bitwise float equality, so NaN equals NaN and -0 differs from +0.
private func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

@Test("files written by Python's safetensors read back exactly: every dtype, scalar, empty tensor, metadata",
      arguments: ["all-dtypes.safetensors", "all-dtypes-no-metadata.safetensors", "all-dtypes-empty-metadata.safetensors",
                  "all-dtypes-multi-metadata.safetensors", "extra-padding.safetensors"])
func readsReferenceFiles(_ name: String) throws {
    let f = try SafetensorsFile(contentsOf: IOFixtures.url("safetensors/\(name)"))
    let expected = try expectedFloats()
    let meta = try IOFixtures.json("safetensors/expected.json")
    let shapes = meta["shapes"] as! [String: [Int]], dtypes = meta["dtypes"] as! [String: String]
    let ints = meta["ints"] as! [String: [Int]]
    #expect(Set(f.tensorNames) == Set(shapes.keys))
    #expect(Set(f.tensors.map(\.dtype.rawValue)) == Set(DType.allCases.map(\.rawValue)))
    for t in f.tensors {
        #expect(t.shape == shapes[t.name], "\(t.name)")
        #expect(t.dtype.rawValue == dtypes[t.name], "\(t.name)")
        #expect(sameBits(try f.floats(t.name), try expected.floats(t.name)), "\(t.name)")
        if let want = ints[t.name] { #expect(try f.int32s(t.name).map(Int.init) == want, "\(t.name)") }
    }
    #expect(try f.matrix("scalar").storage == [7.25])
    #expect(try f.matrix("empty").rows == 0 && (try f.matrix("empty").cols) == 3)
    #expect(try f.matrix("f32").rows == 6 && (try f.matrix("f32").cols) == 4)
    switch name {
    case "all-dtypes.safetensors": #expect(f.metadata == ["format": "pt"])
    case "all-dtypes-multi-metadata.safetensors":
        #expect(f.metadata == ["format": "pt", "tokenizer": "gpt2", "note": "é \"quoted\"\n"])
    default: #expect(f.metadata.isEmpty)
    }
    // The reference writer pads the header with spaces to a multiple of 8.
    let raw = try Data(contentsOf: IOFixtures.url("safetensors/\(name)"))
    let n = raw.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
    if name != "extra-padding.safetensors" { #expect(n % 8 == 0) }
    #expect(raw[8 + n - 1] == 0x20 || raw[8 + n - 1] == UInt8(ascii: "}"))
}

@Test("a file with no tensors opens; conversions that cannot apply throw")
func edgeCases() throws {
    let empty = try SafetensorsFile(contentsOf: IOFixtures.url("safetensors/no-tensors.safetensors"))
    #expect(empty.tensors.isEmpty && empty.metadata.isEmpty)
    let f = try SafetensorsFile(contentsOf: IOFixtures.url("safetensors/all-dtypes.safetensors"))
    #expect(throws: SafetensorsError.self) { try f.int32s("f32") }
    #expect(throws: SafetensorsError.missingTensor(file: f.path, tensor: "nope")) { try f.floats("nope") }
    // A U64 value that does not fit Int32 is refused rather than wrapped.
    let big = try SafetensorsWriter.serialize(["x": TensorData(dtype: .u64, shape: [1], bytes: withUnsafeBytes(of: UInt64(1) << 40) { Data($0) })])
    #expect(throws: SafetensorsError.self) { try SafetensorsFile(bytes: big).int32s("x") }
    #expect(throws: SafetensorsError.unreadable(file: "/nonexistent.safetensors", reason: "No such file or directory")) {
        try SafetensorsFile(contentsOf: URL(fileURLWithPath: "/nonexistent.safetensors"))
    }
}

/// The case name of an error, to compare with the manifest.
func caseName(_ e: SafetensorsError) -> (String, String?) {
    switch e {
    case .unreadable: return ("unreadable", nil)
    case .fileTooSmall: return ("fileTooSmall", nil)
    case .headerTooLarge: return ("headerTooLarge", nil)
    case .headerPastEnd: return ("headerPastEnd", nil)
    case .headerNotObject: return ("headerNotObject", nil)
    case .headerNotUTF8: return ("headerNotUTF8", nil)
    case .headerInvalidJSON: return ("headerInvalidJSON", nil)
    case let .duplicateTensor(_, t): return ("duplicateTensor", t)
    case .invalidMetadata: return ("invalidMetadata", nil)
    case let .invalidTensorEntry(_, t, _): return ("invalidTensorEntry", t)
    case let .unknownDType(_, t, _): return ("unknownDType", t)
    case let .unsupportedDType(_, t, _): return ("unsupportedDType", t)
    case let .invalidShape(_, t, _): return ("invalidShape", t)
    case let .invalidOffsets(_, t, _): return ("invalidOffsets", t)
    case let .byteCountMismatch(_, t, _, _): return ("byteCountMismatch", t)
    case let .dataHole(_, t, _, _): return ("dataHole", t)
    case let .dataOverlap(_, t, _, _): return ("dataOverlap", t)
    case let .dataPastEnd(_, t, _, _): return ("dataPastEnd", t)
    case .trailingData: return ("trailingData", nil)
    case let .missingTensor(_, t): return ("missingTensor", t)
    case let .invalidTensorData(_, t, _): return ("invalidTensorData", t)
    case .writeFailed: return ("writeFailed", nil)
    }
}

@Test("every malformed file is rejected with its specific error naming the file and tensor")
func malformedFilesRejected() throws {
    let manifest = try IOFixtures.json("safetensors/malformed/expected.json") as! [String: [String: Any]]
    #expect(manifest.count >= 20)
    var distinct = Set<String>()
    for (name, expected) in manifest.sorted(by: { $0.key < $1.key }) {
        let url = IOFixtures.url("safetensors/malformed/\(name).safetensors")
        do {
            _ = try SafetensorsFile(contentsOf: url)
            Issue.record("\(name): accepted")
        } catch let e as SafetensorsError {
            let (kind, tensor) = caseName(e)
            #expect(kind == expected["error"] as? String, "\(name): \(e)")
            if let want = expected["tensor"] as? String { #expect(tensor == want, "\(name): \(e)") }
            #expect(e.description.hasPrefix(url.path), "\(name): \(e)")
            distinct.insert(kind)
        }
    }
    #expect(distinct.count >= 18)
}

@Test("opening a 1 GiB file maps it and reads only the header; one tensor is read on demand")
func opensLargeFileLazily() throws {
    let dir = IOFixtures.temporaryDirectory("large")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("big.safetensors")
    // A header for a 1 GiB F32 tensor plus a small one; the data is a sparse hole (no disk used).
    let big = 1 << 28
    var header = Array("{\"big\":{\"dtype\":\"F32\",\"shape\":[\(big)],\"data_offsets\":[0,\(4 * big)]},\"small\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\(4 * big),\(4 * big + 8)]}}".utf8)
    header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
    var bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Data($0) }
    bytes.append(contentsOf: header)
    try bytes.write(to: url)
    let fd = open(url.path, O_RDWR)
    #expect(fd >= 0 && ftruncate(fd, off_t(bytes.count + 4 * big + 8)) == 0)
    close(fd)
    let start = Date()
    let f = try SafetensorsFile(contentsOf: url)
    #expect(f.info("big")?.elementCount == big)
    #expect(try f.floats("small") == [0, 0])
    #expect(Date().timeIntervalSince(start) < 1.0)   // reading 1 GiB would take far longer
}
