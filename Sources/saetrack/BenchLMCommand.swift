import ArgumentParser
import Foundation
import SAETrack

/// `saetrack bench lm`: activation-extraction and full-forward tokens/s of a Pythia-70m- or
/// Pythia-160m-shaped model with random weights (Benchmarks/compare_lm_forward.py runs it beside PyTorch).
struct BenchLMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "LM forward tokens/s: hook extraction (stops after the hook's block) and the full forward with logits.",
        discussion: """
            Builds a GPT-NeoX model of Pythia-70m's shape (d_model 512, 6 layers, 8 heads, MLP 2048, \
            vocab 50304, rotary 0.25) or, with --model pythia160m, Pythia-160m's (d_model 768, 12 layers, \
            12 heads, MLP 3072) with random weights, then times, on rows × context random tokens: \
            `activations` at --hook (blocks 0…L−1 only) and `logits` (all blocks, final LayerNorm, \
            unembedding). One warm-up pass, then the best of --trials. Results on stdout; --json for scripts.
            """
    )

    /// The model shapes this benchmark builds.
    enum Shape: String, ExpressibleByArgument, CaseIterable {
        case pythia70m, pythia160m

        var config: ModelConfig {
            let (d, layers, heads) = self == .pythia70m ? (512, 6, 8) : (768, 12, 12)
            return .gptNeoX(GPTNeoXConfig(
                hiddenSize: d, numHiddenLayers: layers, numAttentionHeads: heads, intermediateSize: 4 * d,
                vocabSize: 50304, maxPositionEmbeddings: 2048, rotaryPct: 0.25, rotaryEmbBase: 10000,
                useParallelResidual: true))
        }
    }

    @Option(name: .long, help: "Pythia model shape.")
    var model: Shape = .pythia70m

    @Option(name: .long, help: "Rows per forward pass.")
    var rows: Int = 16

    @Option(name: .long, help: "Tokens per row.")
    var context: Int = 128

    @Option(name: .long, help: "Hook to extract.")
    var hook: String = "blocks.3.hook_resid_pre"

    @Option(name: .long, help: "Timed trials per measurement; the best is kept.")
    var trials: Int = 3

    @Option(name: .long, help: "Threads for BLAS and the row-parallel kernels (default: SAETRACK_THREADS or all cores).")
    var threads: Int?

    @Flag(name: .long, help: "Time only the hook extraction (for profiling).")
    var hookOnly = false

    @Option(name: .long, help: "Also write the results as JSON to this file.")
    var json: String?

    func validate() throws {
        if rows < 1 || context < 2 || trials < 1 { throw ValidationError("--rows, --trials must be ≥ 1 and --context ≥ 2") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// What the JSON holds.
    struct Result: Codable {
        var model: String
        var threads: Int
        var rows: Int
        var context: Int
        var hook: String
        var hookTokensPerSecond: Double
        var fullForwardTokensPerSecond: Double
        var hookSeconds: Double
        var fullForwardSeconds: Double
        /// Tokens per second of process CPU time (all threads), best trial: robust to other load.
        var hookTokensPerCPUSecond: Double
        var fullForwardTokensPerCPUSecond: Double
    }

    func run() throws {
        if let threads { Threads.setDefault(threads) }
        let hookPoint = try HookPoint(name: hook)
        let config = model.config
        let lm = try TransformerLM(config: config, weights: Self.randomWeights(config, seed: 0))
        try lm.validate(hookPoint)
        var rng = SeededRandom(seed: 1)
        let tokens = (0..<(rows * context)).map { _ in Int32(rng.int(below: 50277)) }
        let n = Double(rows * context)
        log("\(config.summary), \(rows)×\(context) tokens, \(Threads.count) threads")

        let (hookTime, hookCPU) = best { _ = lm.activations(tokens: tokens, rows: rows, context: context, at: hookPoint, centered: false) }
        log("\(hook): \(Int(n / hookTime)) tokens/s, \(Int(n / hookCPU)) tokens per CPU-second")
        var (fullTime, fullCPU) = (Double.infinity, Double.infinity)   // rates 0 when --hook-only
        if !hookOnly {
            (fullTime, fullCPU) = best { _ = lm.logits(tokens: tokens, rows: rows, context: context) }
            log("full forward (logits): \(Int(n / fullTime)) tokens/s, \(Int(n / fullCPU)) tokens per CPU-second")
        }

        let result = Result(model: model.rawValue, threads: Threads.count, rows: rows, context: context, hook: hook,
                            hookTokensPerSecond: n / hookTime, fullForwardTokensPerSecond: n / fullTime,
                            hookSeconds: hookTime, fullForwardSeconds: fullTime,
                            hookTokensPerCPUSecond: n / hookCPU, fullForwardTokensPerCPUSecond: n / fullCPU)
        let label = "activations \(hook)"
        func row(_ a: String, _ b: String, _ c: String) -> String {
            a.padding(toLength: 40, withPad: " ", startingAt: 0) + b.padding(toLength: 12, withPad: " ", startingAt: 0) + c
        }
        print(row("measurement", "tokens/s", "tokens per CPU-second"))
        print(row(label, String(Int(result.hookTokensPerSecond)), String(Int(result.hookTokensPerCPUSecond))))
        if !hookOnly {
            print(row("full forward (logits)", String(Int(result.fullForwardTokensPerSecond)),
                      String(Int(result.fullForwardTokensPerCPUSecond))))
        }
        if let json {
            try JSONFile.write(result, to: URL(fileURLWithPath: json))
        }
    }

    /// Wall-clock and process-CPU seconds of the fastest of `trials` timed runs (each minimised
    /// separately), after one warm-up run.
    private func best(_ body: () -> Void) -> (wall: Double, cpu: Double) {
        body()
        var (wall, cpu) = (Double.infinity, Double.infinity)
        for _ in 0..<trials {
            let cpu0 = Self.processCPUSeconds()
            wall = min(wall, Stopwatch.time(body))
            cpu = min(cpu, Self.processCPUSeconds() - cpu0)
        }
        return (wall, cpu)
    }

    /// CPU time of this process, all threads (`CLOCK_PROCESS_CPUTIME_ID`).
    static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + 1e-9 * Double(ts.tv_nsec)
    }

    private func log(_ line: String) { FileHandle.standardError.write(Data(("bench lm: " + line + "\n").utf8)) }

    /// Every parameter of `config`, uniform with std 0.02 (LayerNorm gains 1, biases 0).
    static func randomWeights(_ config: ModelConfig, seed: UInt64) -> [String: Matrix] {
        var rng = SeededRandom(seed: seed)
        let a = Float(0.02 * 3.0.squareRoot())
        var weights: [String: Matrix] = [:]
        for spec in config.parameterLayout {
            let (r, c) = spec.matrixShape
            let isNormGain = spec.name.hasSuffix("layernorm.weight") || spec.name.hasSuffix("layer_norm.weight")
                || spec.name.hasSuffix("ln_1.weight") || spec.name.hasSuffix("ln_2.weight") || spec.name.hasSuffix("ln_f.weight")
            var m = Matrix(rows: r, cols: c, repeating: isNormGain ? 1 : 0)
            if spec.shape.count == 2 { m.withUnsafeMutableBufferPointer { rng.fillUniform($0, -a, a) } }
            weights[spec.name] = m
        }
        return weights
    }
}
