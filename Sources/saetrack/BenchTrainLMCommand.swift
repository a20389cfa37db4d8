import ArgumentParser
import Foundation
import SAETrack
#if canImport(Glibc)
import Glibc
#endif

/// `saetrack bench train-lm`: training tokens/s of the demo model and a Pythia-14m-shaped model.
struct BenchTrainLMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-lm",
        abstract: "LM training tokens/s (forward + backward + clip + AdamW) for the demo and Pythia-14m shapes.",
        discussion: """
            Random tokens, batch 16 × 128 by default. Each shape runs warm-up steps, then timed steps; the \
            table shows tokens/s by wall clock and per CPU-second, and the split into forward, backward and \
            optimizer. Benchmarks/compare_lm_train.py runs the same models in PyTorch and prints the ratios.
            """
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Shapes to run: demo, pythia14m.")
    var models: [String] = ["demo", "pythia14m"]
    @Option(name: .long, help: "Timed steps per shape.") var steps = 10
    @Option(name: .long, help: "Untimed warm-up steps.") var warmup = 2
    @Option(name: .customLong("batch-rows"), help: "Rows per batch.") var batchRows = 16
    @Option(name: .long, help: "Tokens per row.") var context = 128
    @Option(name: .customLong("demo-vocab"), help: "Vocabulary of the demo shape (torch reference used 2048).") var demoVocab = 2048
    @Option(name: .long, help: "Also write the results as JSON to this file.") var json: String?

    struct Result: Codable {
        var model: String, parameters: Int, threads: Int, batchRows: Int, context: Int, steps: Int
        var tokensPerSecond: Double, tokensPerCPUSecond: Double
        var forwardSeconds: Double, backwardSeconds: Double, optimizerSeconds: Double
    }

    static func shape(_ name: String, vocab: Int, context: Int) throws -> ModelConfig {
        switch name {
        case "demo": return .demoLM(vocabSize: vocab, context: context)
        case "pythia14m":   // EleutherAI/pythia-14m: 6 layers, d 128, 4 heads, MLP 512, vocab 50304
            return .gptNeoX(GPTNeoXConfig(hiddenSize: 128, numHiddenLayers: 6, numAttentionHeads: 4, intermediateSize: 512,
                                          vocabSize: 50304, maxPositionEmbeddings: max(context, 2048), rotaryPct: 0.25))
        default: throw ValidationError("unknown model shape '\(name)' (demo, pythia14m)")
        }
    }

    func run() throws {
        var results: [Result] = []
        for name in models {
            let config = try Self.shape(name, vocab: demoVocab, context: context)
            let model = try TransformerModel(config: config, seed: 0)
            var optimizer = AdamW(layout: model.layout, weightDecay: 0.01)
            var rng = SeededRandom(seed: 1)
            let tokens = (0..<(batchRows * context)).map { _ in Int32(rng.int(below: config.vocabSize)) }
            var (fwd, bwd, opt) = (0.0, 0.0, 0.0)
            let cpuStart = Self.cpuSeconds()
            var wallStart = Date()
            for step in 0..<(warmup + steps) {
                if step == warmup { (fwd, bwd, opt) = (0, 0, 0); wallStart = Date() }
                let t0 = Date()
                model.zeroGradients()
                _ = model.forward(tokens: tokens, batch: batchRows, context: context, computeGradients: true)
                let t1 = Date()
                model.backward()
                let t2 = Date()
                optimizer.clipAndStep(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients),
                                      learningRate: 1e-3, maxNorm: 1)
                let t3 = Date()
                fwd += t1.timeIntervalSince(t0); bwd += t2.timeIntervalSince(t1); opt += t3.timeIntervalSince(t2)
            }
            let wall = Date().timeIntervalSince(wallStart)
            let cpu = (Self.cpuSeconds() - cpuStart) * Double(steps) / Double(steps + warmup)
            let tokensTimed = Double(steps * batchRows * context)
            let r = Result(model: name, parameters: model.parameterCount, threads: Threads.count, batchRows: batchRows,
                           context: context, steps: steps, tokensPerSecond: tokensTimed / wall,
                           tokensPerCPUSecond: tokensTimed / cpu, forwardSeconds: fwd / Double(steps),
                           backwardSeconds: bwd / Double(steps), optimizerSeconds: opt / Double(steps))
            FileHandle.standardError.write(Data("bench train-lm: \(name) done\n".utf8))
            results.append(r)
        }
        print("model       params      threads  tok/s     tok/CPU-s  fwd ms   bwd ms   opt ms")
        for r in results {
            print(r.model.padding(toLength: 12, withPad: " ", startingAt: 0)
                  + String(format: "%-11d %-8d %-9.0f %-10.0f %-8.1f %-8.1f %-8.1f", r.parameters, r.threads,
                         r.tokensPerSecond, r.tokensPerCPUSecond, r.forwardSeconds * 1e3, r.backwardSeconds * 1e3,
                         r.optimizerSeconds * 1e3))
        }
        if let json {
            try JSONFile.write(results, to: URL(fileURLWithPath: json))
        }
    }

    /// Process CPU time (all threads), seconds.
    static func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
