import Foundation
import Testing
import SAETrack

/// `saetrack track --tokens-per-stage`: SIGKILLed mid-stage and rerun, it ends with the files of an
/// uninterrupted run.
@Suite("CLI: streamed track")
struct StreamedTrackCLITests {
    /// CLIHarness.trackFlags with the continual stages streamed: 5 steps of 64 = 320 tokens, a
    /// half-buffer of 128 activations, LM calls of 2 rows × 32 tokens.
    static let flags = ["--preset", "quick", "--first-steps", "10", "--d-sae", "32", "--batch-size", "64", "--eval-rows", "8",
                        "--hook", "blocks.1.hook_resid_pre", "--tokens-per-stage", "320", "--buffer-tokens", "128",
                        "--store-batch-rows", "2", "--stage-tokens", "continue", "--checkpoint-every", "5"]

    @Test("streamed track: killed (SIGKILL) with the buffer half served, the rerun resumes and writes the uninterrupted run's SAEs and track.json")
    func killedStreamedTrackResumes() throws {
        let h = try CLIHarness("streamed")
        defer { h.remove() }
        try h.corpus(); try h.series()
        func args(_ out: String) -> [String] {
            ["track", "--series", h.path("series"), "--tokens", h.path("corpus/tokens.safetensors"), "--out", h.path(out)] + Self.flags
        }
        let (ok, refLog) = try h.run(args("reference"))
        #expect(ok == 0, "\(refLog)")
        #expect(refLog.contains("streams") && refLog.contains("LM stream at row"), "\(refLog)")
        let (killed, _) = try h.run(args("track"), environment: ["SAETRACK_FAULT_KILL_AT_STEP": "5"])
        #expect(killed != 0)
        let (resumed, log) = try h.run(args("track"))
        #expect(resumed == 0, "\(log)")
        #expect(log.contains("resuming"), "\(log)")
        let state = try TrackState.read(from: URL(fileURLWithPath: h.path("reference")))
        #expect(state.config.stream?.tokensPerStage == 320 && state.config.continualStage.steps == 5)
        var files = ["track.json"]
        for s in state.stages { files.append("saes/step\(s.step)/sae_weights.safetensors") }
        for f in files {
            let a = try Data(contentsOf: URL(fileURLWithPath: h.path("reference/\(f)")))
            let b = try Data(contentsOf: URL(fileURLWithPath: h.path("track/\(f)")))
            #expect(a == b, "\(f) differs after the kill and rerun")
        }
        // Another stream setting on the resumed directory is refused by name.
        var changed = args("track")
        changed[changed.firstIndex(of: "continue")!] = "same"
        let (refused, message) = try h.run(changed)
        #expect(refused != 0 && message.contains("stream.stage_tokens"), "\(message)")
    }
}
