import SAETrackCore

/// An affine projection `y = x · W + b` over a batch of rows, in either weight layout found in
/// checkpoints (no transposes at load time: the layout picks the GEMM's transpose flag). The
/// kernels, forward and backward side by side, are in Linear+Backward.swift.
///
///     .outIn (nn.Linear, GPT-NeoX, every unembedding):  W stored (out, in),  y = x · Wᵀ + b
///     .inOut (Conv1D, GPT-2 projections):                W stored (in, out),  y = x · W  + b
package enum Linear {
    /// How a projection's weight is stored.
    package enum Layout: Sendable { case outIn, inOut }
}
