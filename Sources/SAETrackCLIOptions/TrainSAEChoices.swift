import ArgumentParser
import SAETrack

/// `train-sae --stage`: which column of defaults a run starts from.
public enum StageColumn: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// SAE-Track's first stage: an SAE trained from scratch.
    case first
    /// A continual SAE-Track stage, warm-started from `--init`.
    case continual
}

/// `train-sae --schedule`: the learning-rate schedule.
public enum ScheduleChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Constant after a linear warm-up.
    case constant
    /// Linear warm-up, then a linear decay.
    case linearDecay = "linear-decay"
}

/// `train-sae --loss`: the form of the reconstruction and L1 terms.
public enum LossForm: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// SAE-Track's: MSE over ‖x − batch mean‖, plain L1.
    case saeTrack = "sae-track"
    /// SAELens's: summed MSE, decoder-norm-weighted L1.
    case saeLens = "saelens"
}

/// `train-sae --decoder-norm`: whether decoder rows are held at unit norm.
public enum DecoderNormChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Renormalised to unit norm every step.
    case unit
    /// Free; the L1 term weighs codes by the rows' norms instead.
    case free
}

/// `--architecture` of `track` (and the value `ArchitectureOptions` parses).
extension SAEArchitecture: ExpressibleByArgument {}
