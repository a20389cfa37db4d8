import Foundation
import SAETrackCore
import SAETrackIO

/// What each SAE training run of a track cost, as measured (`<track>/compute.json`): SAE steps,
/// tokens, wall and process CPU seconds of the training loop (evaluation and file writes left out),
/// and the activation bytes the run held in memory.
/// Kept apart from `track.json`, which holds no timings so that a resumed track writes the same
/// file as an uninterrupted one. A run finished after a resume records the attempt that finished
/// it, from the SAE step it resumed at (``Run/resumedAtStep``).
public struct TrackCompute: Codable, Equatable, Sendable {
    public static let fileName = "compute.json"

    /// One training run.
    public struct Run: Codable, Equatable, Sendable {
        public var saeSteps: Int
        public var tokens: Int
        public var wallSeconds: Double
        public var cpuSeconds: Double
        /// Float32 activations held while training: the training rows (or a stream's mixing
        /// buffer, 2 × half-buffer tokens) plus the evaluation rows, × d_in × 4 bytes.
        public var activationBytes: Int
        /// nil when the run trained from SAE step 0 in one go; else the step this attempt started at
        /// (the seconds then cover only steps from there on).
        public var resumedAtStep: Int?

        public init(saeSteps: Int, tokens: Int, wallSeconds: Double, cpuSeconds: Double, activationBytes: Int, resumedAtStep: Int? = nil) {
            self.saeSteps = saeSteps; self.tokens = tokens; self.wallSeconds = wallSeconds; self.cpuSeconds = cpuSeconds
            self.activationBytes = activationBytes
            self.resumedAtStep = resumedAtStep
        }

        enum CodingKeys: String, CodingKey {
            case tokens
            case saeSteps = "sae_steps", wallSeconds = "wall_seconds", cpuSeconds = "cpu_seconds", activationBytes = "activation_bytes", resumedAtStep = "resumed_at_step"
        }
    }

    /// Runs by ``key(step:baseline:seed:)``.
    public var runs: [String: Run] = [:]

    public init(runs: [String: Run] = [:]) { self.runs = runs }

    /// `stage step{N}` for a chain stage, `baseline step{N}` / `baseline step{N}-seed{k}` for a from-scratch SAE.
    public static func key(step: Int, baseline: Bool, seed: Int = 0) -> String {
        baseline ? "baseline " + TrackStage.baselineName(step: step, seed: seed) : "stage step\(step)"
    }

    /// The track's record (empty when it has none yet, e.g. a track written before it existed).
    /// - Throws: when the file exists but cannot be decoded (naming the file).
    public static func read(from directory: URL) throws -> TrackCompute {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return TrackCompute() }
        return try JSONFile.read(TrackCompute.self, from: url)
    }

    /// Records `run` under `key` in `directory`'s file (read, updated, written atomically).
    static func record(_ run: Run, key: String, in directory: URL) throws {
        var compute = try read(from: directory)
        compute.runs[key] = run
        try JSONFile.write(compute, to: directory.appendingPathComponent(fileName))
    }
}
