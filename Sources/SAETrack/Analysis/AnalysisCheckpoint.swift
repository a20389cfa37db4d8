import Foundation
import SAETrackCore
import SAETrackMetrics
import SAETrackSAE

/// One checkpoint of the chain as the analysis's accumulators see it: the SAE, the cached
/// evaluation activations, and what several measures read, computed once here: the sparse codes
/// (the one encode of the evaluation activations per checkpoint), the firing counts, the drift
/// against the final and the previous decoder, and the ground-truth match of the planted labels.
struct AnalysisCheckpoint {
    /// Position in the chain (0 first) and the number of checkpoints.
    let index: Int, count: Int
    let stage: TrackStage
    let sae: SparseAutoencoder
    /// (N, d_in) evaluation activations of model@step.
    let activations: Matrix
    /// (N, d_sae) codes of `sae` on `activations`.
    let codes: SparseRows
    let firing: FeatureFiring
    /// Cosines of this decoder's rows to the final and the previous decoder's (dead rows masked).
    let drift: DriftCheckpoint
    /// Ground truth at this checkpoint (nil without planted labels): each label's best live
    /// feature, and every label × feature AUROC.
    let groundTruth: GroundTruthCheckpoint?
    let aurocs: [[Double?]]?
    /// The finished from-scratch baselines read at this step, by increasing seed index: every seed
    /// at a seed-floor step, else seed 0 (the warm-vs-scratch comparison, the head-to-head).
    let baselines: [Baseline]
    /// The previous checkpoint's SAE and firing (nil at the first).
    let previous: (sae: SparseAutoencoder, firing: FeatureFiring)?

    var step: Int { stage.step }
    var isFinal: Bool { index == count - 1 }

    /// A from-scratch SAE trained on this checkpoint's activations.
    struct Baseline {
        let seedIndex: Int
        let sae: SparseAutoencoder
        /// Its codes of this checkpoint's evaluation activations, and the live flags they give.
        let codes: SparseRows
        let alive: [Bool]
    }
}

/// A part of the analysis computed as the chain is walked: it reads each checkpoint in step order
/// (``add(_:)``) and then writes its part of the ``TrackAnalysis`` (``finish(_:)``). The
/// evaluation activations' codes come with the checkpoint; no accumulator encodes them again
/// (the progress measures encode only their datapoint rows, see ``FormationAccumulator``).
protocol TrackAccumulator {
    mutating func add(_ checkpoint: AnalysisCheckpoint) throws
    /// Writes this accumulator's fields; runs in list order, so a later one may read what an
    /// earlier one wrote.
    func finish(_ analysis: inout TrackAnalysis)
}
