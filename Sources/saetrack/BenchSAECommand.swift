import ArgumentParser
import Foundation
import SAETrack
import SAETrackCLIOptions

/// `saetrack bench sae`: one SAE training step vs the dense encoder GEMM alone (Docs/Performance.md).
struct BenchSAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sae",
        abstract: "SAE training step tokens/s (any architecture), against the dense encoder GEMM time.",
        discussion: """
            Seeded synthetic activations and an initial SAE whose b_enc is calibrated for the target L0. \
            Times the dense encoder GEMM alone (best of --gemm-trials), then --steps full training steps \
            (sparse decoder and backward, Adam, decoder renormalisation) after one warm-up step. \
            --export writes the activations and initial SAE so Benchmarks/compare_sae.py trains SAELens \
            from the same start.
            """
    )

    @Option(name: .customLong("d-in"), help: "Input width.") var dIn = 768
    @Option(name: .customLong("d-sae"), help: "Dictionary size.") var dSAE = 24576
    @Option(name: .long, help: "Tokens per step.") var batch = 4096
    @Option(name: .customLong("l0"), help: "Target initial L0.") var l0 = 64
    @Option(name: .long, help: "Timed training steps.") var steps = 5
    @Option(name: .customLong("gemm-trials"), help: "Timed encoder GEMMs, best kept.") var gemmTrials = 3
    @Option(name: .customLong("chunk-rows"), help: "Rows per encoder GEMM in the trainer's row-chunk path (ghost grads only). Every step timed here encodes in feature blocks.") var chunkRows = 4096
    @Option(name: .long, help: "standard (ReLU + SAE-Track loss), topk, batchtopk or matryoshka (k = --l0; widths d_sae/8, /4, /2, 1), or jumprelu; all but standard in SAELens's loss form.") var architecture = SAEArchitecture.standard
    @Option(name: .long, help: "Threads (default: SAETRACK_THREADS or all cores).") var threads: Int?
    @Option(name: .long, help: "Write the report as JSON to this file.") var json: String?
    @Option(name: .long, help: "Write activations.safetensors and sae_init.safetensors to this directory.") var export: String?

    func validate() throws {
        if dIn < 1 || dSAE < 1 || batch < 1 || steps < 1 { throw ValidationError("sizes and --steps must be positive") }
        if l0 < 1 || l0 > dSAE { throw ValidationError("--l0 must be in 1...d_sae") }
    }

    func run() throws {
        if let threads { Threads.setDefault(threads) }
        var c = SAEStepBenchmark.Configuration()
        c.dIn = dIn; c.dSAE = dSAE; c.batchSize = batch; c.targetL0 = l0; c.steps = steps; c.gemmTrials = gemmTrials
        c.encoderChunkRows = chunkRows
        c.architecture = architecture
        let bench = SAEStepBenchmark(configuration: c)
        let inputs = bench.makeInputs()
        if let export { try bench.export(inputs, to: URL(fileURLWithPath: export)) }
        let report = try bench.run(inputs: inputs) { line in
            FileHandle.standardError.write(Data(("bench sae: " + line + "\n").utf8))
        }
        print("architecture \(architecture.rawValue)")
        print(String(format: """
            SAE step  d_in %d  d_sae %d  batch %d  threads %d
              encoder GEMM alone   %8.3f s  (%.1f GFLOP/s)       %8.3f CPU s
              full training step   %8.3f s  (%.0f tokens/s)      %8.3f CPU s  (%.0f tokens per CPU s)
              step / GEMM          %8.2f wall                     %8.2f CPU   (target ≤ 1.3 standard, ≤ 1.2 others)
              L0 first/last step   %.1f / %.1f
              peak RSS             %.0f MB   (harness inputs %.0f MB; params+grads+Adam+batch %.0f MB;
                                   (peak − harness inputs) / state = %.2f, target ≤ 1.2)
            """, dIn, dSAE, batch, report.threads, report.encoderGEMMSeconds, report.encoderGEMMGFLOPs,
            report.encoderGEMMCPUSeconds, report.stepSeconds, report.tokensPerSecond, report.stepCPUSeconds,
            report.tokensPerCPUSecond, report.stepOverGEMM, report.stepOverGEMMCPU, report.l0First, report.l0Last,
            Double(report.peakResidentBytes) / 1e6, Double(report.harnessInputBytes) / 1e6,
            Double(report.modelStateBytes) / 1e6,
            Double(report.peakResidentBytes - report.harnessInputBytes) / Double(max(report.modelStateBytes, 1))))
        if let json {
            let url = URL(fileURLWithPath: json)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try JSONFile.write(report, to: url)
        }
    }
}
