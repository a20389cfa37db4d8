import Foundation
import SAETrackSAE

/// One setting that differs between a track's recorded configuration (`track.json`) and the one a
/// rerun asks for, named by its `track.json` key path (`first_stage.lr`, `checkpoint_every`).
///
/// A change is *safe* when continuing with it leaves every result as it would have been: how often
/// a resumable trainer state is saved (`checkpoint_every`, `*.save_every`) and how often the
/// training curve is sampled (`*.log_every`; a stage already under way keeps its old interval).
/// `saetrack track --resume-changed` accepts safe changes (recording them in `track.json`'s
/// warnings); every other change alters what the chain computes and is refused, naming the
/// setting with its old and new values (`--restart` or a new `--out` starts over).
public struct TrackConfigChange: Equatable, Sendable, CustomStringConvertible {
    /// `track.json` key path of the setting.
    public var setting: String
    /// Recorded and requested values, as JSON text.
    public var old: String
    public var new: String
    /// Whether continuing with the new value leaves the results unchanged.
    public var isSafe: Bool

    public init(setting: String, old: String, new: String, isSafe: Bool) {
        self.setting = setting; self.old = old; self.new = new; self.isSafe = isSafe
    }

    public var description: String {
        "\(setting): \(old) → \(new)" + (isSafe ? " (does not change results; --resume-changed continues with it)" : " (changes the results)")
    }

    /// SAE training keys whose change leaves the trained SAE as it would have been.
    static let safeSAEKeys: Set<String> = ["log_every", "save_every"]

    /// Field-by-field differences of two SAE configurations under `prefix`.
    static func changes(_ new: SAETrainingConfig, from old: SAETrainingConfig, prefix: String) -> [TrackConfigChange] {
        guard new != old else { return [] }
        let a = jsonObject(old), b = jsonObject(new)
        return Set(a.keys).union(b.keys).sorted().compactMap { key in
            let o = a[key].map(text) ?? "absent", n = b[key].map(text) ?? "absent"
            return o == n ? nil : TrackConfigChange(setting: prefix + key, old: o, new: n, isSafe: safeSAEKeys.contains(key))
        }
    }

    /// Field-by-field differences of the streaming settings (`stream.tokens_per_stage`, ...);
    /// streaming switched on or off is one change of `stream`. Every one changes the results.
    static func changes(_ new: TrackStream?, from old: TrackStream?) -> [TrackConfigChange] {
        guard new != old else { return [] }
        func object(_ s: TrackStream?) -> [String: Any]? {
            guard let s, let data = try? JSONFile.canonical(s) else { return nil }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        }
        guard let a = object(old), let b = object(new) else {
            func show(_ s: TrackStream?) -> String {
                s.map { "tokens_per_stage \($0.tokensPerStage) (\($0.stageTokens.rawValue))" } ?? "absent (--train-rows in memory)"
            }
            return [TrackConfigChange(setting: "stream", old: show(old), new: show(new), isSafe: false)]
        }
        return Set(a.keys).union(b.keys).sorted().compactMap { key in
            let o = a[key].map(text) ?? "absent", n = b[key].map(text) ?? "absent"
            return o == n ? nil : TrackConfigChange(setting: "stream." + key, old: o, new: n, isSafe: false)
        }
    }

    private static func jsonObject(_ c: SAETrainingConfig) -> [String: Any] {
        guard let data = try? JSONFile.canonical(c),
              let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any] else { return [:] }
        return object
    }

    /// A JSON value as compact text (`0.0004`, `"topk"`, `[0, 2]`).
    static func text(_ value: Any) -> String {
        if let s = value as? String { return "\"\(s)\"" }
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }
}

extension TrackConfig {
    /// Every setting that differs from `recorded`, field by field. `steps` counts as unchanged when
    /// one list continues the other (a live or extended series appends checkpoints).
    public func changes(from recorded: TrackConfig) -> [TrackConfigChange] {
        var out: [TrackConfigChange] = []
        func compare<T: Equatable>(_ key: String, _ new: T, _ old: T, safe: Bool = false, _ show: (T) -> String) {
            if new != old { out.append(TrackConfigChange(setting: key, old: show(old), new: show(new), isSafe: safe)) }
        }
        compare("series", series, recorded.series) { "\"\($0)\"" }
        compare("hook", hook, recorded.hook) { "\"\($0)\"" }
        compare("centered", centered, recorded.centered) { "\($0)" }
        if steps != recorded.steps && !(recorded.steps.starts(with: steps) || steps.starts(with: recorded.steps)) {
            out.append(TrackConfigChange(setting: "steps", old: "\(recorded.steps)", new: "\(steps)", isSafe: false))
        }
        compare("order", order, recorded.order) { $0.rawValue }
        out += TrackConfigChange.changes(firstStage, from: recorded.firstStage, prefix: "first_stage.")
        out += TrackConfigChange.changes(continualStage, from: recorded.continualStage, prefix: "continual_stage.")
        compare("baseline_steps", baselineSteps, recorded.baselineSteps) { "\($0)" }
        compare("baseline_budget", baselineBudget, recorded.baselineBudget) { $0.rawValue }
        compare("baseline_seeds", baselineSeeds, recorded.baselineSeeds) { "\($0)" }
        compare("baseline_seed_steps", baselineSeedSteps, recorded.baselineSeedSteps) { $0.map { "\($0)" } ?? "every baseline step" }
        compare("checkpoint_every", checkpointEvery, recorded.checkpointEvery, safe: true) { "\($0)" }
        out += TrackConfigChange.changes(stream, from: recorded.stream)
        return out
    }
}
