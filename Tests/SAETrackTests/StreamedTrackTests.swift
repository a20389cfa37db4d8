import Foundation
import Testing
@testable import SAETrack

/// A streamed track (`TrackStream`) over the tiny GPT-2 of the LM fixtures (Tests/Fixtures/lm/gpt2_tied,
/// d_model 32), the same weights at every step: 40 token rows of 16, the last 4 held out.
enum StreamedFixture {
    static let lmDirectory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures/lm/gpt2_tied")
    }()

    static let (rows, context, evalRows) = (40, 16, 4)

    static func provider() -> LMActivationProvider {
        var rng = SeededRandom(seed: 11)
        var tokens = (0..<(rows * context)).map { _ in Int32(1 + rng.int(below: 102)) }
        for r in 0..<rows { tokens[r * context] = 0 }                                    // BOS
        var p = LMActivationProvider(tokens: tokens, context: context, trainRows: 0..<(rows - evalRows),
                                     evalRows: (rows - evalRows)..<rows, hook: try! HookPoint(name: "blocks.1.hook_resid_pre"),
                                     centered: true)
        p.streamBlockRows = 2                                                            // 32 activations per LM call
        p.hashWeights = false
        p.lossRows = 2
        return p
    }

    static func config(_ stageTokens: StageTokens, checkpoints: Int = 3) -> TrackConfig {
        var first = SAETrainingConfig.firstStage(dIn: 32, dSAE: 64, tokens: 24 * 32, batchSize: 32, seed: 5)
        first.lr = 3e-3; first.warmupSteps = 4; first.l1Coefficient = 1e-3; first.bDecInitSamples = 64; first.logEvery = 4
        let stream = TrackStream(tokensPerStage: 10 * 32, halfBufferTokens: 96, storeBatchRows: 2, stageTokens: stageTokens)
        var continual = SAETrainingConfig.continualStage(dIn: 32, dSAE: 64, tokens: stream.tokensPerStage, batchSize: 32, seed: 5)
        continual.steps = stream.steps(batchSize: 32)
        continual.lr = 1e-3; continual.l1Coefficient = 1e-3; continual.logEvery = 4
        let steps = Array(0..<checkpoints)
        return TrackConfig(series: "/fixture", hook: "blocks.1.hook_resid_pre", centered: true, steps: steps,
                           firstStage: first, continualStage: continual, baselineSteps: [steps.last!],
                           checkpointEvery: 4, stream: stream)
    }

    static func checkpoints(_ n: Int) -> [Int: URL] {
        Dictionary(uniqueKeysWithValues: (0..<n).map { ($0, lmDirectory) })
    }
}

@Suite("Streamed track", .serialized)
struct StreamedTrackTests {
    @Test("a streamed provider computes no training activations up front: the stream is read block by block")
    func providerStreams() throws {
        let acts = try StreamedFixture.provider().activations(step: 0, checkpoint: StreamedFixture.lmDirectory)
        #expect(acts.train.rows == 0 && acts.train.cols == 32)
        var stream = try #require(acts.stream)
        #expect(try stream.nextBlock().rows == 2 * StreamedFixture.context)
        #expect(stream.position == ActivationProducerPosition(epoch: 0, offset: 2))
    }

    @Test("stage tokens: same restarts every stage at row 0; continue starts each stage where the previous one stopped")
    func stageTokenModes() throws {
        for mode in StageTokens.allCases {
            let dir = temporaryDirectory("stream-\(mode.rawValue)")
            defer { try? FileManager.default.removeItem(at: dir) }
            let run = try SAETrackRun(directory: dir, config: StreamedFixture.config(mode), checkpoints: StreamedFixture.checkpoints(3),
                                      provider: StreamedFixture.provider())
            run.progress = { _ in }
            try run.run()
            let s = run.state.stages
            #expect(s.allSatisfy { $0.status == .done && $0.streamEnd != nil })
            let origin = ActivationProducerPosition(epoch: 0, offset: 0)
            switch mode {
            case .same:
                #expect(s.allSatisfy { $0.streamStart == origin })
                #expect(s[1].streamEnd == s[2].streamEnd)                      // same stream, same length
            case .continue:
                #expect(s[0].streamStart == origin)
                #expect(s[1].streamStart == s[0].streamEnd && s[2].streamStart == s[1].streamEnd)
                #expect(s[1].streamStart != s[2].streamStart)
            }
            #expect(run.state.baselines[0].streamStart == s[2].streamStart)
            // The SAEs learn from the stream: held-out explained variance above zero and growing along the chain.
            let ev = s.map { $0.metrics?.explainedVariance ?? -1 }
            #expect(ev.allSatisfy { $0 > 0.1 } && ev[2] > ev[0], "EVs \(ev)")
        }
    }

    @Test("a streamed track killed mid-stage (buffer half served, stream midway) resumes to byte-identical files")
    func streamedResumeIsExact() throws {
        let reference = temporaryDirectory("stream-ref"), resumed = temporaryDirectory("stream-resumed")
        defer { try? FileManager.default.removeItem(at: reference); try? FileManager.default.removeItem(at: resumed) }
        let config = StreamedFixture.config(.continue)
        let ref = try SAETrackRun(directory: reference, config: config, checkpoints: StreamedFixture.checkpoints(3),
                                  provider: StreamedFixture.provider())
        ref.progress = { _ in }
        try ref.run()
        let kills: [TrackEvent] = [
            .trainerStateSaved(step: 0, saeStep: 4, baseline: false),     // first refill's half partly served
            .trainerStateSaved(step: 0, saeStep: 16, baseline: false),
            .saeWritten(step: 0, baseline: false),
            .trainerStateSaved(step: 1, saeStep: 4, baseline: false),     // mid continual stage, continued stream
            .trainerStateSaved(step: 2, saeStep: 8, baseline: false),
            .trainerStateSaved(step: 2, saeStep: 20, baseline: true),     // mid baseline
        ]
        var interruptions = 0
        for kill in kills + [nil] as [TrackEvent?] {
            let run = try SAETrackRun(directory: resumed, config: config, checkpoints: StreamedFixture.checkpoints(3),
                                      provider: StreamedFixture.provider())
            run.progress = { _ in }
            run.stopAt = { $0 == kill }
            do { try run.run() } catch TrackError.interrupted { interruptions += 1 }
        }
        #expect(interruptions == kills.count)
        for f in ["track.json", "saes/step0/sae_weights.safetensors", "saes/step1/sae_weights.safetensors",
                  "saes/step2/sae_weights.safetensors", "baselines/step2/sae_weights.safetensors"] {              // (logs/*.csv hold throughput)
            let a = try Data(contentsOf: reference.appendingPathComponent(f))
            let b = try Data(contentsOf: resumed.appendingPathComponent(f))
            #expect(a == b, "\(f) differs after resuming")
        }
    }

    @Test("resuming a streamed track with other stream settings is refused, naming each setting")
    func streamSettingsChangeRefused() throws {
        let dir = temporaryDirectory("stream-mismatch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try SAETrackRun(directory: dir, config: StreamedFixture.config(.same, checkpoints: 2),
                                    checkpoints: StreamedFixture.checkpoints(2), provider: StreamedFixture.provider())
        first.progress = { _ in }
        first.stopAt = { if case .trainerStateSaved = $0 { return true }; return false }
        #expect(throws: TrackError.self) { try first.run() }
        func refusal(_ c: TrackConfig) -> [String] {
            do {
                _ = try SAETrackRun(directory: dir, config: c, checkpoints: StreamedFixture.checkpoints(2), provider: StreamedFixture.provider(),
                                    acceptingSafeChanges: true)
                return []
            } catch let TrackError.configMismatch(_, differences) { return differences } catch { return ["\(error)"] }
        }
        var other = StreamedFixture.config(.continue, checkpoints: 2)
        other.stream!.halfBufferTokens = 64
        let named = refusal(other)
        #expect(named.contains { $0.hasPrefix("stream.stage_tokens: \"same\" → \"continue\"") }, "\(named)")
        #expect(named.contains { $0.hasPrefix("stream.half_buffer_tokens: 96 → 64") }, "\(named)")
        var inMemory = StreamedFixture.config(.same, checkpoints: 2)
        inMemory.stream = nil
        #expect(refusal(inMemory).contains { $0.hasPrefix("stream: tokens_per_stage 320 (same) → absent") })
    }
}
