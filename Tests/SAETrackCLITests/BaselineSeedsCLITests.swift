import Foundation
import Testing
import SAETrack

/// `saetrack track --baseline-seeds S`: S from-scratch SAEs per baseline step, checked flags, and a
/// seed count fixed for the track.
@Suite("CLI: baseline seeds")
struct BaselineSeedsCLITests {
    @Test("--baseline-seeds: 0 and a count without --baseline-steps are refused; 2 writes both seeds; another count on rerun is refused by name")
    func baselineSeeds() throws {
        let h = try CLIHarness("seeds")
        defer { h.remove() }
        try h.corpus(); try h.series()
        let (zero, zeroLog) = try h.track(extra: ["--baseline-steps", "last", "--baseline-seeds", "0"])
        #expect(zero != 0 && zeroLog.contains("--baseline-seeds must be at least 1 (got 0)"), "\(zeroLog)")
        let (alone, aloneLog) = try h.track(extra: ["--baseline-seeds", "2"])
        #expect(alone != 0 && aloneLog.contains("--baseline-seeds 2 needs --baseline-steps"), "\(aloneLog)")

        let (ok, log) = try h.track(extra: ["--baseline-steps", "last", "--baseline-seeds", "2"])
        #expect(ok == 0, "\(log)")
        #expect(log.contains("baseline at step 8, seed index 1 of 0–1"), "\(log)")
        let state = try TrackState.read(from: URL(fileURLWithPath: h.path("track")))
        #expect(state.config.baselineSeeds == 2 && state.baselines.map(\.sae) == ["baselines/step8", "baselines/step8-seed1"])
        for dir in ["track/baselines/step8", "track/baselines/step8-seed1"] {
            #expect(TrackSAEFiles.exists(at: URL(fileURLWithPath: h.path(dir))), "\(dir) missing")
        }
        let before = try h.snapshot("track")
        let (again, againLog) = try h.track(extra: ["--baseline-steps", "last", "--baseline-seeds", "3"])
        #expect(again != 0 && againLog.contains("baseline_seeds: 2 → 3 (changes the results)"), "\(againLog)")
        #expect(try h.snapshot("track") == before, "a refused rerun changed the track")
    }

    @Test("--baseline-seed-steps: the seeds only there, one SAE at the other baseline steps; a step outside --baseline-steps, or no seeds, refused")
    func seedSteps() throws {
        let h = try CLIHarness("seedsteps")
        defer { h.remove() }
        try h.corpus(); try h.series()
        let (single, singleLog) = try h.track(extra: ["--baseline-steps", "0,last", "--baseline-seed-steps", "last"])
        #expect(single != 0 && singleLog.contains("--baseline-seed-steps needs --baseline-seeds 2 or more"), "\(singleLog)")
        let (stray, strayLog) = try h.track(extra: ["--baseline-steps", "0,last", "--baseline-seeds", "2", "--baseline-seed-steps", "4"])
        #expect(stray != 0 && strayLog.contains("--baseline-seed-steps: 4 is not one of --baseline-steps 0,last"), "\(strayLog)")
        let (ok, log) = try h.track(extra: ["--baseline-steps", "0,last", "--baseline-seeds", "2", "--baseline-seed-steps", "last"])
        #expect(ok == 0, "\(log)")
        let state = try TrackState.read(from: URL(fileURLWithPath: h.path("track")))
        #expect(state.config.baselineSeedSteps == [8] && state.baselines.map(\.sae) == ["baselines/step0", "baselines/step8", "baselines/step8-seed1"])
        let compute = try TrackCompute.read(from: URL(fileURLWithPath: h.path("track")))
        #expect(compute.runs.keys.contains("baseline step8-seed1") && compute.runs.keys.contains("baseline step0"))
    }
}
