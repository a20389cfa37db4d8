import Foundation
import Testing
@testable import SAETrackIO
import SAETrackCore

private func scratch(_ name: String) throws -> URL {
    let u = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-io-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    return u
}

@Test("interrupted-write leftovers are removed at any depth; an .old- copy whose original is gone is restored")
func interruptedWritesCleaned() throws {
    let dir = try scratch("leftovers")
    defer { try? FileManager.default.removeItem(at: dir) }
    let fm = FileManager.default
    let sub = dir.appendingPathComponent("saes")
    try fm.createDirectory(at: sub, withIntermediateDirectories: true)
    let uuid = UUID().uuidString
    let leftovers = [dir.appendingPathComponent(".track.json.tmp-999999"), sub.appendingPathComponent(".step2.tmp-\(uuid)"),
                     dir.appendingPathComponent(".tokens.safetensors.\(uuid).tmp")]
    for u in leftovers { fm.createFile(atPath: u.path, contents: Data("x".utf8)) }
    let keep = [dir.appendingPathComponent("track.json"), dir.appendingPathComponent(".hidden"), sub.appendingPathComponent("step0.tmp-notes")]
    for u in keep { fm.createFile(atPath: u.path, contents: Data("keep".utf8)) }
    let old = sub.appendingPathComponent(".step1.old-\(UUID().uuidString)")
    try fm.createDirectory(at: old, withIntermediateDirectories: true)
    fm.createFile(atPath: old.appendingPathComponent("cfg.json").path, contents: Data("{}".utf8))
    // A temporary of this (live) process is ours to remove; one of another live process is not.
    let live = dir.appendingPathComponent(".other.tmp-1")                        // pid 1 is alive
    fm.createFile(atPath: live.path, contents: Data())

    let done = try OutputDirectory.removeInterruptedWrites(in: dir)
    for u in leftovers { #expect(!fm.fileExists(atPath: u.path), "\(u.lastPathComponent) left") }
    for u in keep { #expect(fm.fileExists(atPath: u.path), "\(u.lastPathComponent) removed") }
    #expect(fm.fileExists(atPath: sub.appendingPathComponent("step1/cfg.json").path), "the .old- copy was not restored")
    #expect(fm.fileExists(atPath: live.path))
    #expect(done.count == 4)
}

@Test("NaN and infinity are found with their count and first index; the error names the file and row")
func nonFiniteFound() throws {
    #expect(NonFiniteValues.find(in: [1, 2, 3]) == nil)
    let f = NonFiniteValues.find(in: [1, .infinity, 3, .nan])
    #expect(f?.count == 2 && f?.first == 1 && f?.value == .infinity)
    var m = Matrix(rows: 4, cols: 3)
    m.storage[2 * 3 + 1] = .nan
    do {
        try NonFiniteDataError.check(m, source: "a.safetensors", tensor: "activations")
        Issue.record("NaN accepted")
    } catch let e as NonFiniteDataError {
        #expect(e.row == 2 && e.column == 1 && e.count == 1)
        #expect(e.description.contains("a.safetensors") && e.description.contains("row 2"))
    }
}

@Test("a fingerprint names each changed input, ignores growth of checkpoint lists when asked, and round-trips")
func fingerprintChanges() throws {
    let dir = try scratch("fingerprint")
    defer { try? FileManager.default.removeItem(at: dir) }
    let tokens = dir.appendingPathComponent("tokens.bin")
    try Data([1, 2, 3]).write(to: tokens)
    var a = RunFingerprint()
    try a.addFile("tokens", tokens)
    try a.addSettings("settings", ["lr": 1])
    a.inputs["checkpoint step 0"] = .init(path: "/s/step0", sha256: "aa")
    try a.write(to: dir)
    #expect(try RunFingerprint.read(from: dir) == a)
    #expect(a.changes(since: a).isEmpty)

    var b = a
    try Data([1, 2, 4]).write(to: tokens)
    try b.addFile("tokens", tokens)
    try b.addSettings("settings", ["lr": 2])
    b.inputs["checkpoint step 1"] = .init(path: "/s/step1", sha256: "bb")
    b.saetrackVersion = "9.9"
    let changes = b.changes(since: a, growable: ["checkpoint step "])
    #expect(changes.count == 3, "\(changes)")
    #expect(changes.contains { $0.hasPrefix("tokens") && $0.contains("changed") })
    #expect(changes.contains { $0.hasPrefix("settings") })
    #expect(changes.contains { $0.contains("SAETrack version") })
    #expect(b.changes(since: a).contains { $0.contains("checkpoint step 1") && $0.contains("new input") })
    // The full-file digest is SHA-256 (sha256sum of "\x01\x02\x04").
    #expect(try RunFingerprint.fileSHA256(tokens) == SHA256.hash([1, 2, 4]).hexDigest)
}

@Test("a checkpoint digest changes when any byte of the weights, the size or the config changes")
func checkpointDigest() throws {
    let dir = try scratch("digest")
    defer { try? FileManager.default.removeItem(at: dir) }
    var values = [Float](repeating: 0.5, count: 100_000)
    let weights = dir.appendingPathComponent("model.safetensors")
    try SafetensorsWriter.write(["w": TensorData(shape: [values.count], floats: values)], to: weights)
    try Data("{}".utf8).write(to: dir.appendingPathComponent("config.json"))
    let d0 = try RunFingerprint.checkpointDigest(dir)
    #expect(try RunFingerprint.checkpointDigest(dir) == d0)
    #expect(try RunFingerprint.checkpointBytes(dir) == Data(contentsOf: weights).count)
    values[values.count - 1] = 1
    try SafetensorsWriter.write(["w": TensorData(shape: [values.count], floats: values)], to: weights)
    let d1 = try RunFingerprint.checkpointDigest(dir)
    #expect(d1 != d0)
    // One byte in the middle of the data, at an offset no 4 KiB block spread over the file would
    // cover (the old sampled digest missed this): the digest changes.
    var bytes = try Data(contentsOf: weights)
    let middle = bytes.count / 2 + 2048 + 1
    bytes[middle] ^= 0x01
    try bytes.write(to: weights)
    let d2 = try RunFingerprint.checkpointDigest(dir)
    #expect(d2 != d1)
    try Data("{ }".utf8).write(to: dir.appendingPathComponent("config.json"))
    #expect(try RunFingerprint.checkpointDigest(dir) != d2)
}

@Test("Foundation errors are reworded: missing file, invalid JSON, missing key with its path")
func systemErrorText() throws {
    do { _ = try Data(contentsOf: URL(fileURLWithPath: "/nonexistent/x.json")) } catch {
        let text = SystemErrorText.describe(error)
        #expect(text == "no such file or directory", "\(text)")
    }
    struct Need: Decodable { var a: Int }
    do { _ = try JSONDecoder().decode(Need.self, from: Data("{}".utf8)) } catch {
        #expect(SystemErrorText.describe(error) == "missing key \"a\"")
    }
    do { _ = try JSONDecoder().decode(Need.self, from: Data("{".utf8)) } catch {
        #expect(SystemErrorText.describe(error).contains("not valid JSON"))
    }
}

@Test("a weight holding NaN is refused on load, naming the file and the tensor")
func nanWeightRefused() throws {
    let src = IOFixtures.url("models/neox-tiny")
    let dir = try scratch("nan-weight")
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = try ModelDirectory(src)
    var weights = try model.loadWeights()
    weights["gpt_neox.layers.0.attention.dense.weight"]!.storage[5] = .nan
    try ModelDirectory.write(config: model.config, weights: weights, to: dir.appendingPathComponent("m"))
    do {
        _ = try ModelDirectory(dir.appendingPathComponent("m")).loadWeights()
        Issue.record("NaN weights loaded")
    } catch let e as ModelDirectoryError {
        guard case let .nonFiniteWeights(file, tensor, count, first, _) = e else { Issue.record("\(e)"); return }
        #expect(file.hasSuffix("model.safetensors") && tensor == "gpt_neox.layers.0.attention.dense.weight")
        #expect(count == 1 && first == 5)
    }
}
