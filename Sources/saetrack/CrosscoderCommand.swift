import ArgumentParser
import Foundation
import SAETrack
import SAETrackCLIOptions

extension CrosscoderSparsityKind: ExpressibleByArgument {}
extension CrosscoderInputScaling: ExpressibleByArgument {}

/// `saetrack crosscoder`: one acausal crosscoder over several checkpoints of a series.
struct CrosscoderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosscoder",
        abstract: "Train a cross-snapshot crosscoder over checkpoints of a series; write each latent's decoder-norm curve over the checkpoints.",
        discussion: """
            The alternative to the SAE-Track chain (Docs/Method.md §5.7; arXiv 2509.17196, \
            2509.05291): one shared sparse code f = act(b_enc + Σ_s x_s W_enc[s]) over the activations x_s of the same \
            tokens at every chosen checkpoint s, a decoder per checkpoint x̂_s = f W_dec[s] + b_dec[s], loss \
            Σ_s mean ‖x_s − x̂_s‖² plus, for --sparsity l1, λ · mean Σ_i f_i Σ_s ‖W_dec[s,i]‖; --sparsity batchtopk \
            keeps the k·B largest f_i · Σ_s ‖W_dec[s,i]‖ of each batch instead. Each checkpoint's LM runs once over \
            --train-rows + --eval-rows token rows (from the start and the end of --tokens) and all their activations \
            are held in memory together (the cost is printed). Writes <out>/crosscoder.safetensors, \
            trajectories.json/.csv (‖W_dec[s,i]‖ per latent and checkpoint, peak and onset steps), evaluation.json/.csv \
            (per-checkpoint MSE, explained variance, L0 on the held-out rows), training_log.json/.csv and config.json. \
            Training stops with an error when the loss is not finite or exceeds 1000× its first value. \
            A resumable state is saved in <out>/state/ every 100 steps: rerun the same command after a kill and it \
            continues from there with the same result (a state made from other checkpoints, tokens or settings is refused).
            """
    )

    @Option(name: .long, help: "Checkpoint series directory (step{N}/ or checkpoint-{N}/ model directories).") var series: String
    @Option(name: .long, help: "Token file: safetensors `tokens` I32 [rows, context].") var tokens: String
    @Option(name: .long, help: "Hook point, TransformerLens style.") var hook: String
    @Option(name: .long, help: "Checkpoint steps to crosscode, comma-separated, or all.") var checkpoints = "all"
    @Option(name: .long, help: "Output directory.") var out: String
    @Flag(name: .long, help: "Subtract each token's mean over d_model (TransformerLens centring).") var center = false
    @Option(name: .customLong("d-sae"), help: "Latents of the shared code (default: expansion × d_model).") var dSAE: Int?
    @Option(name: .long, help: "Expansion factor when --d-sae is not given.") var expansion = 8
    @Option(name: .long, help: "Sparsity: l1 (decoder-norm-weighted L1 penalty) or batchtopk.") var sparsity: CrosscoderSparsityKind = .batchTopK
    @Option(name: [.customLong("l1"), .customLong("l1-coefficient")], help: "--sparsity l1: the coefficient λ.") var l1: Float?
    @Option(name: .customLong("l1-warmup"), help: "--sparsity l1: λ rises linearly from 0 over this many steps (0: off).") var l1Warmup = 0
    @Option(name: .long, help: "--sparsity batchtopk: active latents per token, averaged over the batch (default 32).") var k: Int?
    @Option(name: .long, help: "Adam steps.") var steps = 1000
    @Option(name: .customLong("batch-size"), help: "Tokens per step.") var batchSize = 1024
    @Option(name: .long, help: "Learning rate.") var lr: Float = 1e-3
    @Option(name: .long, help: "Linear learning-rate warm-up steps.") var warmup = 0
    @Option(name: .customLong("input-scaling"), help: "mean-norm (scale each checkpoint's activations to mean norm √d_model) or none.")
    var inputScaling: CrosscoderInputScaling = .meanNorm
    @Option(name: .customLong("decoder-init-norm"), help: "Norm of every decoder row at initialisation.") var decoderInitNorm: Float = 0.1
    @Option(name: .customLong("train-rows"), help: "Token rows (from the start of the token file) whose activations train the crosscoder.") var trainRows = 256
    @Option(name: .customLong("eval-rows"), help: "Held-out token rows (from the end of the token file) for evaluation.") var evalRows = 16
    @Option(name: .customLong("log-every"), help: "Log every N steps.") var logEvery = 100
    @Option(name: .long, help: "Seed of initialisation and batch order.") var seed: UInt64 = 42
    @Option(name: .long, help: "Threads (default: SAETRACK_THREADS or all cores).") var threads: Int?

    func validate() throws {
        if sparsity == .batchTopK && (l1 != nil || l1Warmup != 0) { throw ValidationError("--l1 and --l1-warmup need --sparsity l1") }
        if sparsity == .l1 && k != nil { throw ValidationError("--k needs --sparsity batchtopk") }
        if trainRows <= 0 || evalRows <= 0 { throw ValidationError("--train-rows and --eval-rows must be positive") }
    }

    func run() throws {
        if let threads { Threads.setDefault(threads) }
        let seriesURL = URL(fileURLWithPath: series).standardizedFileURL
        let outURL = URL(fileURLWithPath: out).standardizedFileURL
        let available = try CheckpointSeries(seriesURL).checkpoints
        var chosen = available.map(\.step)
        if checkpoints != "all" {
            chosen = try checkpoints.split(separator: ",").map { item -> Int in
                let t = item.trimmingCharacters(in: .whitespaces)
                guard let v = Int(t) else { throw ValidationError("--checkpoints: '\(t)' is not a step (give steps, comma-separated, or all)") }
                guard available.contains(where: { $0.step == v }) else { throw TrackError.missingCheckpoint(step: v, series: seriesURL.path) }
                return v
            }
            if Set(chosen).count != chosen.count { throw ValidationError("--checkpoints lists a step twice") }
            chosen.sort()
        }
        guard chosen.count >= 2 else {
            throw ValidationError("--checkpoints: a crosscoder needs at least 2 checkpoints (got \(chosen.count) in \(seriesURL.path))")
        }
        let used = available.filter { chosen.contains($0.step) }.map { (step: $0.step, url: $0.url) }
        // Preflight before any LM runs: every checkpoint against the first, the hook, the tokens, the output.
        let configs = try Preflight.check(checkpoints: used)
        let firstConfig = configs[used[0].step]!
        let hookPoint = try HookPoint(name: hook)
        try Preflight.check(hook: hookPoint, in: firstConfig, model: used[0].url.path)
        let tokenData = try TokenDataset(contentsOf: URL(fileURLWithPath: tokens))
        try Preflight.check(tokens: tokenData, file: tokens, fit: firstConfig, model: used[0].url.path)
        guard tokenData.rows > evalRows else {
            throw ValidationError("\(tokens) has \(tokenData.rows) rows; need more than --eval-rows \(evalRows)")
        }
        try OutputDirectory.requireWritable(outURL)
        let dIn = firstConfig.dModel
        let d = dSAE ?? expansion * dIn
        let form: CrosscoderSparsity = sparsity == .l1 ? .l1(coefficient: l1 ?? 1e-3) : .batchTopK(k: k ?? 32)
        var config = CrosscoderTrainingConfig(dSAE: d, sparsity: form, steps: steps, batchSize: batchSize, lr: lr)
        config.warmupSteps = warmup; config.l1WarmupSteps = l1Warmup; config.decoderInitNorm = decoderInitNorm
        config.inputScaling = inputScaling; config.seed = seed; config.logEvery = logEvery
        let problems = config.problems()
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }

        let train = 0..<min(trainRows, tokenData.rows - evalRows)
        let eval = (tokenData.rows - evalRows)..<tokenData.rows
        let provider = LMActivationProvider(tokens: tokenData.tokens, context: tokenData.context, trainRows: train, evalRows: eval,
                                            hook: hookPoint, centered: center)
        StandardError.writeLine("crosscoder: \(used.count) checkpoints (steps \(chosen.map(String.init).joined(separator: ","))) at \(hook), d_in \(dIn), d_sae \(d), "
                   + "\(sparsity.rawValue), \(steps) steps × \(batchSize) tokens, \(Threads.count) threads")
        let run = CrosscoderRun(checkpoints: used, provider: provider, config: config,
                                inputs: .init(series: seriesURL.path, tokens: URL(fileURLWithPath: tokens).standardizedFileURL.path,
                                              hook: hook, centered: center))
        try run.run(to: outURL)
        print("crosscoder finished: \(outURL.appendingPathComponent(CrosscoderFiles.weightsFile).path)")
    }
}
