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

/// `track --order`: which end of the series the chain starts from.
extension TrackOrder: ExpressibleByArgument {}

/// `track --stage-tokens`: whether every streamed stage reads the same tokens.
extension StageTokens: ExpressibleByArgument {}
