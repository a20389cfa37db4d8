import Foundation
import SAETrackCore
import SAETrackIO

/// Hugging Face's initialisation scheme, seeded (transformers' `_init_weights` for GPT-NeoX and GPT-2).
///
/// - projection matrices and embeddings: normal(0, initializer_range);
/// - GPT-2's `attn.c_proj` and `mlp.c_proj` weights: normal(0, initializer_range / √(2·n_layer)),
///   the residual-scaled init that `GPT2PreTrainedModel._init_weights` applies;
/// - biases 0, LayerNorm gains 1 and shifts 0.
///
/// Tensors are drawn in layout order from one ``SeededRandom`` stream, so a seed fixes every value.
enum ParameterInitialization {
    static func initialize(_ parameters: UnsafeMutableBufferPointer<Float>, layout: ParameterLayout,
                           layers: Int, initializerRange std: Float, seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        let residualStd = std / Float(2 * layers).squareRoot()
        for t in layout.tensors {
            let slice = UnsafeMutableBufferPointer(rebasing: parameters[t.range])
            switch t.role {
            case .weight, .embedding: rng.fillNormal(slice, mean: 0, std: std)
            case .residualOutputWeight: rng.fillNormal(slice, mean: 0, std: residualStd)
            case .bias, .normBias: slice.update(repeating: 0)
            case .normWeight: slice.update(repeating: 1)
            }
        }
    }
}
