import ArgumentParser
import Foundation
import SAETrack
import SAETrackCLIOptions

/// `saetrack activations`: one hook's activations for every token of a token file.
struct ActivationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations",
        abstract: "Write a hook's activations for a token file as safetensors `activations` [N, d_model] (F32, F16 or BF16).",
        discussion: """
            Runs the model over the token file (safetensors `tokens` I32 [rows, context]) in batches of \
            --batch-rows rows, stopping each forward pass after the hook's block. N = rows × context, \
            token-major (row 0's tokens first). The file is an activation shard (Docs/Formats.md), the format of \
            every activation cache: --dtype f16 or bf16 halves it, each value rounded to nearest even. \
            Progress (rows/s, tokens/s, ETA) goes to stderr. \
            Threads: SAETRACK_THREADS (default: all cores).
            """
    )

    @Option(name: .long, help: "Hugging Face model directory (config.json + model.safetensors), GPT-2 or GPT-NeoX.")
    var model: String

    @Option(name: .long, help: "TransformerLens hook name, e.g. blocks.3.hook_resid_pre.")
    var hook: String

    @Option(name: .long, help: "Token file: safetensors with `tokens` I32 [rows, context].")
    var tokens: String

    @Option(name: .long, help: "Output safetensors file.")
    var out: String

    @Flag(name: .long, help: "Subtract each token's mean over d_model (TransformerLens centring, as SAE-Track's SAEs).")
    var center = false

    @Option(name: .long, help: "Token rows per forward pass.")
    var batchRows: Int = 16

    @Option(name: .long, help: "Storage: f32, f16 (IEEE half) or bf16 (bfloat16); f16/bf16 round to nearest even.")
    var dtype = ActivationDTypeChoice.f32

    func validate() throws {
        if batchRows < 1 { throw ValidationError("--batch-rows must be at least 1") }
    }

    func run() throws {
        // Preflight: config, hook, tokens and output before the weights are read.
        let hookPoint = try HookPoint(name: hook)
        let storage = dtype.dtype
        let directory = try ModelDirectory(URL(fileURLWithPath: model))
        try directory.verifyHeaders()
        try Preflight.check(hook: hookPoint, in: directory.config, model: model)
        let (ids, rows, context) = try Self.readTokens(URL(fileURLWithPath: tokens))
        try Preflight.check(tokens: TokenDataset(rows: rows, context: context, tokens: ids), file: tokens, fit: directory.config, model: model)
        try OutputDirectory.requireWritable(URL(fileURLWithPath: out).standardizedFileURL.deletingLastPathComponent())
        let lm = try TransformerLM(config: directory.config, weights: directory.loadWeights())
        try lm.validate(hookPoint)
        try lm.validate(tokens: ids, rows: rows, context: context)
        StandardError.writeLine("cost: \(rows) rows × \(context) tokens = \(CostEstimate.compact(Double(rows * context))) tokens through blocks 0–\(hookPoint.layer), "
                   + "output \(CostEstimate.compact(Double(rows * context * lm.dModel * (storage == .f32 ? 4 : 2))))B \(storage.rawValue)")

        let d = lm.dModel
        var output = [Float](repeating: 0, count: rows * context * d)            // (rows*context, d)
        var progress = ProgressLine(label: "activations \(hook)", total: rows, unit: "rows", tokensPerUnit: context)
        for start in stride(from: 0, to: rows, by: batchRows) {
            let n = min(batchRows, rows - start)
            let batch = Array(ids[(start * context)..<((start + n) * context)])
            let acts = lm.activations(tokens: batch, rows: n, context: context, at: hookPoint, centered: center)   // (n*context, d)
            output.withUnsafeMutableBufferPointer { dst in
                acts.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + start * context * d).update(from: src.baseAddress!, count: src.count)
                }
            }
            progress.advance(to: start + n)
        }
        progress.finish()
        if let bad = NonFiniteValues.find(in: output) {
            let token = bad.first / lm.dModel
            throw NonFiniteDataError(source: "\(model) at \(hookPoint.name)", tensor: "activations", row: token / context,
                                     column: bad.first % lm.dModel, count: bad.count, value: bad.value,
                                     rowMeaning: "token row")
        }

        let metadata = [
            "model": model, "hook": hookPoint.name, "centered": String(center), "include_bos": "true",
            "tokens": tokens, "rows": String(rows), "context": String(context),
            "architecture": lm.config.summary,
        ]
        let url = URL(fileURLWithPath: out)
        try ActivationShard.write(Matrix(rows: rows * context, cols: d, storage: output), dtype: storage, metadata: metadata, to: url)
        print("wrote \(out): activations \(storage.rawValue) [\(rows * context), \(d)] at \(hookPoint.name)\(center ? " (centered)" : "")")
    }

    /// Reads `tokens` I32 [rows, context] from a safetensors token file.
    static func readTokens(_ url: URL) throws -> (ids: [Int32], rows: Int, context: Int) {
        let file = try SafetensorsFile(contentsOf: url)
        guard let info = file.info("tokens") else {
            throw ValidationError("\(url.path): no `tokens` tensor (expected I32 [rows, context]; see `saetrack tokenize`)")
        }
        guard info.dtype == .i32, info.shape.count == 2 else {
            throw ValidationError("\(url.path): `tokens` is \(info.dtype.rawValue) \(info.shape), expected I32 [rows, context]")
        }
        return (try file.int32s("tokens"), info.shape[0], info.shape[1])
    }
}

/// A progress line on stderr, rewritten in place at most a few times a second:
/// `activations blocks.3.hook_resid_pre  rows 512/10000  210 rows/s  26.9k tok/s  ETA 0:45`.
fileprivate struct ProgressLine {
    let label: String
    let total: Int
    let unit: String
    let tokensPerUnit: Int
    private let clock: ProgressClock
    private let printer = ProgressPrinter()
    private var done = 0

    init(label: String, total: Int, unit: String, tokensPerUnit: Int) {
        self.label = label
        self.total = total
        self.unit = unit
        self.tokensPerUnit = tokensPerUnit
        clock = ProgressClock(total: Double(total))
    }

    mutating func advance(to done: Int) {
        self.done = done
        printer.show(line(), force: done == total)
    }

    func finish() { printer.finish() }

    private func line() -> String {
        let rate = clock.rate(at: Double(done))
        let eta = clock.secondsLeft(at: Double(done))
        return "\(label)  \(unit) \(done)/\(total)  \(Self.compact(rate)) \(unit)/s  "
            + "\(Self.compact(rate * Double(tokensPerUnit))) tok/s  ETA \(ProgressClock.format(eta))"
    }

    static func compact(_ x: Double) -> String {
        x >= 10_000 ? String(format: "%.1fk", x / 1000) : String(format: x >= 100 ? "%.0f" : "%.1f", x)
    }

}
