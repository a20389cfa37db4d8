// TrackExample: load a checkpoint series, run a short SAE-Track chain over its first checkpoints,
// and print how far each SAE's decoder directions are from the last one (index-aligned drift).
//
//   swift run --package-path Examples/TrackExample TrackExample <series-dir> <tokens.safetensors> [hook] [checkpoints]
//
// e.g. after `saetrack demo --quick --out /tmp/demo`:
//   swift run --package-path Examples/TrackExample TrackExample /tmp/demo/series /tmp/demo/corpus/tokens.safetensors
import Foundation
import SAETrack

// First thing: run OpenBLAS's strongest kernel family for this CPU (a re-exec when OpenBLAS's own
// choice is weaker), and say which one runs.
BLASKernel.reexecutingWithFasterKernelIfNeeded()
FileHandle.standardError.write(Data("\(BLASKernel.status)\n".utf8))

let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write(Data("usage: TrackExample <series-dir> <tokens.safetensors> [hook] [checkpoints]\n".utf8))
    exit(2)
}
let hook = args.count > 3 ? args[3] : "blocks.1.hook_resid_pre"
let count = args.count > 4 ? Int(args[4]) ?? 3 : 3

do {
    // 1. The series: step{N}/ model directories, with integrity warnings.
    let series = try CheckpointSeries(URL(fileURLWithPath: args[1]))
    for w in series.warnings { print("warning: \(w)") }
    let chosen = Array(series.checkpoints.prefix(count))
    print("series: \(series.checkpoints.count) checkpoints; tracking steps \(chosen.map(\.step))")

    // 2. Activations: one LM pass per checkpoint over disjoint train and evaluation rows.
    let tokens = try TokenDataset(contentsOf: URL(fileURLWithPath: args[2]))
    let evalRows = min(16, tokens.rows / 4)
    let provider = LMActivationProvider(tokens: tokens.tokens, context: tokens.context,
                                        trainRows: 0..<min(128, tokens.rows - evalRows),
                                        evalRows: (tokens.rows - evalRows)..<tokens.rows,
                                        hook: try HookPoint(name: hook), centered: true)

    // 3. A short chain with the smoke-test settings, in a temporary track directory.
    let dIn = try ModelConfig.load(from: chosen[0].url.appendingPathComponent("config.json")).dModel
    let config = TrackSettings.quick.trackConfig(series: series.directory.path, hook: hook, centered: true, dIn: dIn,
                                                 steps: chosen.map(\.step))
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("track-example-\(getpid())")
    let run = try SAETrackRun(directory: dir, config: config,
                              checkpoints: Dictionary(uniqueKeysWithValues: chosen.map { ($0.step, $0.url) }),
                              provider: provider)
    run.progress = { _ in }
    try run.run()

    // 4. Drift of the chain: index-aligned decoder cosine to the last SAE.
    let saes = try chosen.map { try run.sae(atStep: $0.step) }
    let drift = Drift.analyze(chain: saes, steps: chosen.map(\.step))
    for c in drift.checkpoints {
        let median = c.medianToFinal.map { String(format: "%.3f", $0) } ?? "–"
        let previous = c.medianToPrevious.map { String(format: "%.3f", $0) } ?? "–"
        print("step \(c.step): median cos to final \(median), to previous \(previous)")
    }
    try? FileManager.default.removeItem(at: dir)
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
