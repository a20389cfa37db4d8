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
