import Foundation
import SAETrackIO
import SAETrackSAE

/// Detects an SAE training run that has diverged, so it stops with its last good state kept
/// instead of finishing with NaN weights or an explained variance of −10¹⁵.
///
/// A run has diverged when a logged loss or explained variance is not finite, when the explained
/// variance falls below ``minimumExplainedVariance``, when a logged loss
/// exceeds ``explosionFactor`` × the run's first logged loss (a healthy run's loss falls; an
/// unstable learning rate makes it grow by orders of magnitude within a few steps), or when the
/// SAE's parameters hold a non-finite value.
public enum TrainingDivergence {
    /// A loss this many times the first logged loss counts as an explosion.
    public static let explosionFactor: Float = 1000
    /// An explained variance below this (an error 100× the data's variance; a fresh SAE is near
    /// 0 or a few units below) is divergence, whatever the loss's scale.
    public static let minimumExplainedVariance: Float = -100

    /// Why the run diverged at one of `entries`, or nil. `reference` is the run's first logged
    /// loss (from an earlier chunk of the same run, when resumed).
    public static func problem(in entries: ArraySlice<SAETrainingLogEntry>, reference: Float?) -> (step: Int, reason: String)? {
        let ref = reference ?? entries.first?.terms.loss
        for e in entries {
            let loss = e.terms.loss, ev = e.terms.explainedVariance
            if !loss.isFinite { return (e.step, "loss is \(loss)") }
            if !ev.isFinite { return (e.step, "explained variance is \(ev)") }
            if ev < minimumExplainedVariance {
                return (e.step, String(format: "explained variance %.3g: the reconstruction error is over %.0f× the data's variance",
                                       ev, -minimumExplainedVariance))
            }
            if let ref, ref.isFinite, ref > 0, loss > explosionFactor * ref {
                return (e.step, String(format: "loss %.4g exploded (%.0f× the first logged loss %.4g)", loss, loss / ref, ref))
            }
        }
        return nil
    }

    /// A non-finite parameter of `sae`, described, or nil.
    public static func problem(in sae: SparseAutoencoder) -> String? {
        for (name, values) in [("W_enc", sae.wEnc.storage), ("b_enc", sae.bEnc), ("W_dec", sae.wDec.storage), ("b_dec", sae.bDec)] {
            if let bad = NonFiniteValues.find(in: values) { return "\(name) holds \(bad.count) non-finite values (first \(bad.value))" }
        }
        return nil
    }
}

/// SAE training stopped because it diverged (``TrainingDivergence``).
public struct TrainingDivergedError: Error, CustomStringConvertible, Equatable {
    /// The run, e.g. `train-sae /out` or `stage 3/19 (step 64)`.
    public var run: String
    /// SAE step at which divergence was seen.
    public var step: Int
    public var reason: String
    /// Step and directory of the last good saved state, if any.
    public var keptState: (step: Int, directory: String)?

    public init(run: String, step: Int, reason: String, keptState: (step: Int, directory: String)?) {
        self.run = run; self.step = step; self.reason = reason; self.keptState = keptState
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.run == b.run && a.step == b.step && a.reason == b.reason
            && a.keptState?.step == b.keptState?.step && a.keptState?.directory == b.keptState?.directory
    }

    public var description: String {
        let kept = keptState.map { "the last good state (SAE step \($0.step)) is kept in \($0.directory)" }
            ?? "no state was saved before it (nothing written)"
        return "\(run): training diverged at SAE step \(step): \(reason); stopped, \(kept). "
            + "Lower the learning rate (--lr / --first-lr / --continual-lr) and rerun with --restart"
    }
}
