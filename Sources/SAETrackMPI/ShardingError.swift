import SAETrackSAE

/// A training setting the latent-sharded trainer does not implement (yet), or a job it cannot shard.
public enum ShardingError: Error, CustomStringConvertible, Equatable {
    /// An architecture, option or loss term not sharded; `name` is the option or setting as the user gave it.
    case notSharded(name: String, detail: String)
    /// More ranks than latents: some shard would be empty.
    case tooManyRanks(ranks: Int, dSAE: Int)
    /// A setting that must agree on every rank differs (e.g. the thread count).
    case ranksDisagree(setting: String, values: ClosedRange<Int>)

    public var description: String {
        switch self {
        case .notSharded(let name, let detail):
            return "saetrack-mpi: \(name) is not supported by the latent-sharded trainer yet (\(detail)); "
                + "train it with the single-process `saetrack train-sae`"
        case .tooManyRanks(let ranks, let dSAE):
            return "saetrack-mpi: \(ranks) ranks for d_sae \(dSAE): every rank needs at least one latent; use at most \(dSAE) ranks"
        case .ranksDisagree(let setting, let values):
            return "saetrack-mpi: \(setting) differs between ranks (\(values.lowerBound)…\(values.upperBound)); "
                + "every rank must use the same value for bit-identical replicated state"
        }
    }

    /// The architectures the latent-sharded trainer implements.
    public static let shardedArchitectures: [SAEArchitecture] = [.standard, .topk, .batchtopk, .jumprelu]

    /// Throws for an architecture the sharded trainer does not implement (Matryoshka).
    public static func check(_ architecture: SAEArchitecture) throws {
        guard shardedArchitectures.contains(architecture) else {
            throw ShardingError.notSharded(name: "--architecture \(architecture.rawValue)",
                                           detail: "sharded architectures: " + shardedArchitectures.map(\.rawValue).joined(separator: ", "))
        }
    }

    /// Throws for every setting of `config` the sharded trainer does not implement.
    public static func check(_ config: SAETrainingConfig) throws {
        try check(config.architecture)
        if config.rescaleActsByDecoderNorm {
            throw ShardingError.notSharded(name: "--rescale-acts-by-decoder-norm", detail: "TopK selection on decoder-norm-scaled pre-activations")
        }
        if config.useMatryoshkaAuxLoss {
            throw ShardingError.notSharded(name: "--use-matryoshka-aux-loss", detail: "Matryoshka's per-level AuxK")
        }
        if config.regCoefficient != 0 {
            throw ShardingError.notSharded(name: "--reg", detail: "anchor regularisation toward a previous SAE")
        }
        if config.resampling != nil {
            throw ShardingError.notSharded(name: "dead-feature resampling", detail: "resampling draws from the whole SAE")
        }
    }
}
