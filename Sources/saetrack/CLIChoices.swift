import ArgumentParser
import SAETrack

/// `track --baseline-budget`: how long each from-scratch baseline trains.
enum BaselineBudgetChoice: String, ExpressibleByArgument, CaseIterable {
    /// As many SAE steps as the chain up to that checkpoint.
    case cumulative
    /// As many as the first (from-scratch) stage, the paper's per-checkpoint baseline.
    case firstStage = "first-stage"

    /// The library's value.
    var budget: BaselineBudget { self == .cumulative ? .cumulative : .firstStage }
}

/// `train-lm --arch`: the architecture a model built from flags has.
enum LMArchitectureChoice: String, ExpressibleByArgument, CaseIterable {
    /// GPT-NeoX (Pythia).
    case neox
    /// GPT-2.
    case gpt2
}

/// `tokenize --format`: how the input file holds its documents.
extension DocumentReader.Format: ExpressibleByArgument {}

/// `track --preset`: the settings the flags start from.
enum TrackPresetChoice: String, ExpressibleByArgument, CaseIterable {
    /// The paper's recipe.
    case paper
    /// The embedded demo's.
    case demo
    /// A sub-minute smoke test of the demo's.
    case quick

    /// The settings of this preset.
    var settings: TrackSettings {
        switch self {
        case .paper: return .paper
        case .demo: return .demo
        case .quick: return .quick
        }
    }
}

extension TrackPresetChoice {
    /// Each preset's value of `setting` for a flag's help, read from the presets themselves:
    /// "paper 4096, demo 1024, quick 512", or "every preset: 64" when they agree.
    static func values<T>(_ setting: KeyPath<TrackSettings, T>, _ text: (T) -> String = { "\($0)" }) -> String {
        let shown = allCases.map { text($0.settings[keyPath: setting]) }
        if Set(shown).count == 1 { return "every preset: \(shown[0])" }
        return zip(allCases, shown).map { "\($0.rawValue) \($1)" }.joined(separator: ", ")
    }
}

/// `track --order`: which end of the series the chain starts from.
extension TrackOrder: ExpressibleByArgument {}

/// `track --stage-tokens`: whether every streamed stage reads the same tokens.
extension StageTokens: ExpressibleByArgument {}
