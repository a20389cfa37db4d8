import Foundation
import SAETrackCore

/// Every latent's formation curve from a trained crosscoder: its decoder norm `‖W_dec[s,i]‖` at
/// each snapshot s (its strength in that snapshot's activations), with summaries.
///
/// The curve of latent i is `norms[i]`, one value per snapshot in ``steps`` order. A latent whose
/// norm is near zero at early snapshots and grows later is a feature that forms during training;
/// one that falls is a feature that fades. Summaries, per latent:
/// - ``peakStep``: the snapshot with the largest norm;
/// - ``onsetStep``: the first snapshot whose norm reaches ``onsetFraction`` of the latent's peak
///   norm (the crosscoder analogue of the chain's formation step).
public struct CrosscoderTrajectories: Sendable, Equatable, Codable {
    /// Training step of each snapshot, in the crosscoder's snapshot order.
    public var steps: [Int]
    /// `norms[i][s] = ‖W_dec[s,i]‖`, (d_sae, S).
    public var norms: [[Float]]
    /// A latent's onset is the first snapshot at or above this fraction of its peak norm.
    public var onsetFraction: Float
    /// Per latent, the step of its largest decoder norm.
    public var peakStep: [Int]
    /// Per latent, the first step whose norm is ≥ ``onsetFraction`` × its peak.
    public var onsetStep: [Int]

    enum CodingKeys: String, CodingKey {
        case steps, norms = "decoder_norms", onsetFraction = "onset_fraction", peakStep = "peak_step", onsetStep = "onset_step"
    }

    /// The curves of `parameters`, its snapshots labelled by `steps`.
    public init(parameters: CrosscoderParameters, steps: [Int], onsetFraction: Float = 0.5) {
        precondition(steps.count == parameters.snapshots, "CrosscoderTrajectories: \(steps.count) steps for \(parameters.snapshots) snapshots")
        let n = parameters.decoderNorms()                          // (S, d_sae)
        let S = parameters.snapshots
        self.steps = steps
        self.onsetFraction = onsetFraction
        norms = (0..<parameters.dSAE).map { i in (0..<S).map { n[$0, i] } }
        peakStep = norms.map { curve in steps[curve.indices.max { curve[$0] < curve[$1] }!] }
        onsetStep = norms.map { curve in
            let peak = curve.max()!
            return steps[curve.firstIndex { $0 >= onsetFraction * peak }!]
        }
    }

    /// Long-format CSV: `latent,step,decoder_norm,relative_norm` (relative: norm / the latent's
    /// peak norm, 0 for a latent whose decoders are all zero), one line per latent and snapshot.
    public var csv: String {
        var lines = ["latent,step,decoder_norm,relative_norm"]
        lines.reserveCapacity(norms.count * steps.count + 1)
        for (i, curve) in norms.enumerated() {
            let peak = curve.max() ?? 0
            for (s, value) in curve.enumerated() {
                lines.append("\(i),\(steps[s]),\(value),\(peak > 0 ? value / peak : 0)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
