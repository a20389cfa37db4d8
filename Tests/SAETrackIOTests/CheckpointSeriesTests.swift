import Foundation
import Testing
import SAETrackCore
@testable import SAETrackIO

@Test("a series is ordered by step, warns on gaps and on identical weights, and writes a manifest")
func checkpointSeries() throws {
    let dir = IOFixtures.temporaryDirectory("series")
    defer { try? FileManager.default.removeItem(at: dir) }
    let src = try ModelDirectory(IOFixtures.url("models/neox-tiny"))
    let base = try src.loadWeights()
    func write(_ name: String, scale: Float) throws {
        var w = base
        w["embed_out.weight"]!.storage = w["embed_out.weight"]!.storage.map { $0 * scale }
        try ModelDirectory.write(config: src.config, weights: w, to: dir.appendingPathComponent(name))
    }
    // Steps 0, 1, 2, 8 (4 missing), 10, 20, 30, 40, 60 (50 missing); step 20 repeats step 10's weights.
    for (name, scale) in [("step0", 1), ("step1", 2), ("step2", 3), ("step8", 4), ("step10", 5),
                          ("step20", 5), ("step30", 6), ("step40", 7), ("step60", 8)] as [(String, Float)] {
        try write(name, scale: scale)
    }
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("step99"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("logs"), withIntermediateDirectories: true)
    var series = try CheckpointSeries(dir)
    #expect(series.checkpoints.map(\.step) == [0, 1, 2, 8, 10, 20, 30, 40, 60])
    #expect(series.checkpoints.map(\.url.lastPathComponent) == ["step0", "step1", "step2", "step8", "step10", "step20", "step30", "step40", "step60"])
    #expect(series.warnings == ["step99 has no config.json; skipped", "log-spaced steps missing: 4",
                                "gap: 1 checkpoint(s) missing between step 40 and step 60 (stride 10)"])
    var calls = 0
    try series.hashWeights { done, total in calls += 1; #expect(done <= total) }
    #expect(calls == 9)
    #expect(series.weightDigests[0] == (try src.weightsSHA256()))
    #expect(Set(series.weightDigests.values).count == 8)
    #expect(series.warnings.last?.hasPrefix("step 20 has weights identical to step 10") == true)
    try series.writeManifest()
    let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("manifest.json"))) as! [String: Any]
    let entries = manifest["checkpoints"] as! [[String: Any]]
    #expect(entries.map { $0["step"] as! Int } == [0, 1, 2, 8, 10, 20, 30, 40, 60])
    #expect(entries[5]["weights_sha256"] as? String == series.weightDigests[10])
    #expect((manifest["warnings"] as! [String]).count == 4)
}

@Test("Pythia's 154-revision schedule has no gap warnings; dropping revisions is reported")
func pythiaSchedule() {
    let pythia = [0] + (0...9).map { 1 << $0 } + stride(from: 1000, through: 143_000, by: 1000).map { $0 }
    #expect(pythia.count == 154)
    #expect(CheckpointSeries.gapWarnings(pythia).isEmpty)
    let holed = pythia.filter { $0 != 64 && $0 != 5000 && $0 != 6000 }
    #expect(CheckpointSeries.gapWarnings(holed) == ["log-spaced steps missing: 64",
                                                    "gap: 2 checkpoint(s) missing between step 4000 and step 7000 (stride 1000)"])
}

@Test("directory names, duplicates and empty series")
func seriesErrors() throws {
    #expect(CheckpointSeries.step(fromDirectoryName: "step143000") == 143000)
    #expect(CheckpointSeries.step(fromDirectoryName: "checkpoint-400") == 400)
    for bad in ["step", "step-1", "stepx", "checkpoint400", "main", "step1e3", "step 1"] {
        #expect(CheckpointSeries.step(fromDirectoryName: bad) == nil, "\(bad)")
    }
    let dir = IOFixtures.temporaryDirectory("series-errors")
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(throws: CheckpointSeriesError.noCheckpoints(directory: dir.path)) { try CheckpointSeries(dir) }
    for name in ["step100", "checkpoint-100"] {
        let d = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: d.appendingPathComponent("config.json"))
    }
    #expect(throws: CheckpointSeriesError.duplicateStep(directory: dir.path, step: 100, names: ["checkpoint-100", "step100"])) {
        try CheckpointSeries(dir)
    }
}
