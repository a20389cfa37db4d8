import Foundation
import Testing
import SAETrack

/// `saetrack track --architecture A` end to end over a tiny checkpoint series (steps 0, 2, 4, 8 of a
/// 2-layer d_model-16 LM), for every architecture besides the paper's: each stage's SAE directory
/// loads with the architecture's semantics, k / thresholds are carried from stage to stage (warm
/// start), Matryoshka's widths and the JumpReLU options persist in track.json, and `saetrack encode`
/// of a stage SAE gives the library's codes.
@Suite("track: every architecture", .serialized)
struct TrackArchitecturesCommandTests {
    /// A harness with the corpus and the checkpoint series written (removed by the caller).
    func harness(_ name: String) throws -> CLIHarness {
        let h = try CLIHarness("track-\(name)")
        try h.corpus(); try h.series()
        return h
    }

    static let steps = [0, 2, 4, 8]

    func stageDirectory(_ h: CLIHarness, _ out: String, _ stage: TrackStage) -> URL {
        stage.sae.hasPrefix("/") ? URL(fileURLWithPath: stage.sae) : URL(fileURLWithPath: h.path(out)).appendingPathComponent(stage.sae)
    }

    /// Runs the track and returns its state and every stage's SAE, in chain order.
    func runTrack(_ h: CLIHarness, _ out: String, _ extra: [String]) throws -> (TrackState, [SparseAutoencoder], [URL]) {
        let (status, output) = try h.track(out: out, extra: extra)
        try #require(status == 0, "track \(extra): \(output.suffix(2000))")
        let state = try TrackState.read(from: URL(fileURLWithPath: h.path(out)))
        #expect(state.stages.map(\.step) == Self.steps && state.stages.allSatisfy { $0.status == .done })
        #expect(state.stages.dropFirst().enumerated().allSatisfy { $0.element.warmStartedFrom == Self.steps[$0.offset] },
                "each stage warm-starts from the previous one")
        // The run log beside track.json holds the command line and each stage's progress, stamped.
        let log = try String(contentsOfFile: h.path("\(out)/track.log"), encoding: .utf8)
        #expect(log.contains("track: track") && log.contains("stage 1/\(Self.steps.count)") && log.hasSuffix("track: finished\n"), "\(log.suffix(800))")
        let dirs = state.stages.map { stageDirectory(h, out, $0) }
        return (state, try dirs.map { try SparseAutoencoder.load(from: $0) }, dirs)
    }

    /// `saetrack encode` of the last stage's SAE on that checkpoint's held-out activations equals
    /// the library's encode of the same rows.
    func expectEncodeMatches(_ h: CLIHarness, _ out: String, _ sae: SparseAutoencoder, _ dir: URL) throws {
        let acts = h.path("\(out)/cache/eval-step\(Self.steps.last!).safetensors")
        let x = try SafetensorsFile(contentsOf: URL(fileURLWithPath: acts)).matrix("activations")
        let codesPath = h.path("\(out)-codes.safetensors")
        _ = try h.succeed(["encode", "--sae", dir.path, "--activations", acts, "--out", codesPath])
        let cli = try EncodeCommandTests.denseFromCSR(SafetensorsFile(contentsOf: URL(fileURLWithPath: codesPath)))
        let library = sae.encode(x).dense()
        #expect(cli.rows == x.rows && cli.cols == sae.dSAE)
        #expect(cli.storage == library.storage, "encode CLI vs library")
        #expect(library.storage.contains { $0 != 0 }, "the codes are not all zero")
    }

    @Test("topk: every stage is a topk directory with the track's k; encode agrees with the library")
    func topk() throws {
        let h = try harness("topk")
        defer { h.remove() }
        let (state, saes, dirs) = try runTrack(h, "topk", ["--architecture", "topk", "--k", "4"])
        for (sae, dir) in zip(saes, dirs) {
            #expect(try SAEDirectory.readConfig(dir).architecture == "topk")
            #expect(sae.activation == .topK(4))
        }
        #expect(state.config.firstStage.k == 4 && state.config.continualStage.k == 4)
        try expectEncodeMatches(h, "topk", saes.last!, dirs.last!)
    }

    /// BatchTopK's running threshold θ ← (1 − r)·θ + r·(smallest kept code ≥ 0), r = 0.01: a
    /// continual stage of s steps that starts from the previous θ ends at ≥ 0.99^s·θ; one that
    /// started again from 0 would end near r·s·(codes), far below.
    func expectThresholdCarried(_ saes: [SparseAutoencoder], continualSteps: Int) {
        let thetas = saes.map { $0.activation.threshold?.first ?? -1 }
        #expect(thetas.allSatisfy { $0 > 0 }, "thresholds \(thetas)")
        for (a, b) in zip(thetas, thetas.dropFirst()) {
            #expect(Double(b) >= pow(0.99, Double(continualSteps)) * Double(a) * (1 - 1e-6), "θ carried: \(thetas)")
        }
        for sae in saes { #expect(Set(sae.activation.threshold ?? []).count == 1, "one shared threshold") }
    }

    @Test("batchtopk: every stage is a jumprelu directory whose shared threshold is carried from the previous stage")
    func batchtopk() throws {
        let h = try harness("batchtopk")
        defer { h.remove() }
        let (state, saes, dirs) = try runTrack(h, "batchtopk", ["--architecture", "batchtopk", "--k", "4"])
        for dir in dirs { #expect(try SAEDirectory.readConfig(dir).architecture == "jumprelu") }
        expectThresholdCarried(saes, continualSteps: state.config.continualStage.steps)
        #expect(state.config.continualStage.architecture == .batchtopk && state.config.continualStage.k == 4)
        try expectEncodeMatches(h, "batchtopk", saes.last!, dirs.last!)
    }

    @Test("matryoshka: widths and --use-matryoshka-aux-loss persist in every stage's config, every stage logs its nested levels, thresholds carry over")
    func matryoshka() throws {
        let h = try harness("matryoshka")
        defer { h.remove() }
        let (state, saes, dirs) = try runTrack(h, "matryoshka", ["--architecture", "matryoshka", "--k", "4", "--matryoshka-widths", "8,16",
                                                                  "--use-matryoshka-aux-loss"])
        for dir in dirs { #expect(try SAEDirectory.readConfig(dir).architecture == "jumprelu") }
        #expect(state.config.firstStage.matryoshkaWidths == [8, 16] && state.config.continualStage.matryoshkaWidths == [8, 16])
        #expect(state.config.firstStage.useMatryoshkaAuxLoss && state.config.continualStage.useMatryoshkaAuxLoss)
        #expect(state.config.continualStage.architecture == .matryoshka)
        for step in Self.steps {
            let csv = try String(contentsOfFile: h.path("matryoshka/logs/step\(step).csv"), encoding: .utf8)
            let lines = csv.split(separator: "\n")
            let column = try #require(lines.first?.split(separator: ",").firstIndex(of: "inner_mse"))
            let inner = lines.dropFirst().map { Double($0.split(separator: ",")[column]) ?? -1 }
            #expect(!inner.isEmpty && inner.allSatisfy { $0 > 0 }, "step \(step) inner_mse \(inner)")
        }
        expectThresholdCarried(saes, continualSteps: state.config.continualStage.steps)
        try expectEncodeMatches(h, "matryoshka", saes.last!, dirs.last!)
    }

    @Test("--rescale-acts-by-decoder-norm: every stage's config carries it (topk directories keep it, batchtopk ones are saved as jumprelu); a rerun without it and a standard track with it are refused by name")
    func rescaleActsByDecoderNorm() throws {
        let h = try harness("rescale")
        defer { h.remove() }
        let topkRun = ["--architecture", "topk", "--k", "4"]
        let (topk, topkSAEs, topkDirs) = try runTrack(h, "topk", topkRun + ["--rescale-acts-by-decoder-norm"])
        #expect(topk.config.firstStage.rescaleActsByDecoderNorm && topk.config.continualStage.rescaleActsByDecoderNorm)
        for (sae, dir) in zip(topkSAEs, topkDirs) {
            let cfg = try SAEDirectory.readConfig(dir)
            #expect(cfg.architecture == "topk" && cfg.rescaleActsByDecoderNorm == true, "\(dir.lastPathComponent)")
            #expect(sae.rescalesActsByDecoderNorm)
        }
        try expectEncodeMatches(h, "topk", topkSAEs.last!, topkDirs.last!)

        let (batch, batchSAEs, batchDirs) = try runTrack(h, "batchtopk", ["--architecture", "batchtopk", "--k", "4",
                                                                          "--rescale-acts-by-decoder-norm"])
        #expect(batch.config.firstStage.rescaleActsByDecoderNorm && batch.config.continualStage.rescaleActsByDecoderNorm)
        for (sae, dir) in zip(batchSAEs, batchDirs) {
            let cfg = try SAEDirectory.readConfig(dir)
            #expect(cfg.architecture == "jumprelu" && cfg.rescaleActsByDecoderNorm == nil, "\(dir.lastPathComponent)")
            #expect(!sae.rescalesActsByDecoderNorm)
        }
        expectThresholdCarried(batchSAEs, continualSteps: batch.config.continualStage.steps)

        // The same track without the flag computes something else: refused, naming the setting, nothing changed.
        let before = try h.snapshot("topk")
        let (status, output) = try h.track(out: "topk", extra: topkRun)
        #expect(status != 0 && output.contains("different configuration")
                && output.contains("first_stage.rescale_acts_by_decoder_norm: true → false"), "\(output.suffix(800))")
        #expect(try h.snapshot("topk") == before)

        let (wrong, message) = try h.track(out: "standard", extra: ["--rescale-acts-by-decoder-norm"])
        #expect(wrong != 0 && message.contains("--rescale-acts-by-decoder-norm is a topk, batchtopk and matryoshka option (got --architecture standard)"),
                "\(message.suffix(400))")
    }

    @Test("jumprelu: per-feature thresholds move in the first stage and are carried by the continual ones; the options persist")
    func jumprelu() throws {
        let h = try harness("jumprelu")
        defer { h.remove() }
        // SAE-Track's initialisation (auto would take SAELens's tied one for jumprelu, whose 0.1-norm rows put
        // every pre-activation of this tiny LM below the θ₀ 0.05 chosen here).
        let (state, saes, dirs) = try runTrack(h, "jumprelu", ["--architecture", "jumprelu", "--jumprelu-init-threshold", "0.05",
                                                               "--weight-init", "sae-track", "--b-dec-init", "geometric-median",
                                                               "--jumprelu-bandwidth", "1",
                                                               "--l0-coefficient", "0.001", "--jumprelu-sparsity", "tanh",
                                                               "--first-lr", "0.01", "--continual-lr", "1e-4"])
        for dir in dirs { #expect(try SAEDirectory.readConfig(dir).architecture == "jumprelu") }
        for stage in [state.config.firstStage, state.config.continualStage] {
            #expect(stage.architecture == .jumprelu && stage.jumpReLUSparsity == .tanh && stage.l0Coefficient == 0.001
                    && stage.jumpReLUInitThreshold == 0.05 && stage.jumpReLUBandwidth == 1)
        }
        let thetas = saes.map { $0.activation.threshold ?? [] }
        #expect(thetas.allSatisfy { $0.count == 32 })
        #expect(state.stages.allSatisfy { ($0.metrics?.l0 ?? 0) > 0 }, "held-out L0 \(state.stages.map { $0.metrics?.l0 ?? -1 })")
        // The first stage (lr 0.01, a wide straight-through window) moves θ away from 0.05; a continual stage
        // (5 Adam steps at lr 1e-4, each at most ~3·lr) keeps it within 0.002 — a stage restarted at 0.05 would not.
        #expect(thetas[0].contains { abs($0 - 0.05) > 0.01 }, "θ after the first stage \(thetas[0])")
        for (a, b) in zip(thetas, thetas.dropFirst()) {
            let drift = zip(a, b).map { abs($0 - $1) }.max() ?? 1
            #expect(drift <= 0.002, "θ carried between stages: max change \(drift)")
        }
        try expectEncodeMatches(h, "jumprelu", saes.last!, dirs.last!)
    }
}
