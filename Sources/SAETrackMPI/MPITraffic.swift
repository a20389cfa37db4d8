/// What a rank's messages carried, for the byte counts of ``MPICommunicator/traffic``.
public enum MPITrafficKind: String, CaseIterable, Codable, Sendable {
    /// The partial reconstructions Σ_{i in shard} f_i·W_dec[i], (B, d) per step.
    case reconstruction
    /// Per-token top-k candidates (value, latent id) of each shard (TopK).
    case topkCandidates = "topk_candidates"
    /// The batch's BatchTopK candidates (value, row, latent id) of each shard, k·B per rank.
    case batchTopKCandidates = "batchtopk_candidates"
    /// The partial ghost-grad outputs Σ_{dead i in shard} exp(pre_i)·W_dec[i], (B, d), on steps with dead latents.
    case ghost
    /// The partial W_enc·∂L/∂b_enc of the b_dec gradient, (d) per step.
    case bDecGradient = "b_dec_gradient"
    /// Scalars: loss sums, L0, dead-latent counts.
    case scalars
    /// Gathering the trained shards (and statistics) on rank 0 at the end.
    case gather
}

/// Bytes this rank handed to MPI to send, by kind (payload only: MPI's own headers are not counted).
public struct MPITraffic: Codable, Sendable, Equatable {
    /// Bytes sent per kind.
    public var bytes: [MPITrafficKind: Int] = [:]
    /// Point-to-point messages sent.
    public var messages = 0
    /// Wall-clock seconds spent inside MPI calls (transfer and waiting for the other ranks).
    public var seconds: Double = 0

    public init() {}

    /// All bytes sent.
    public var total: Int { bytes.values.reduce(0, +) }

    mutating func add(_ kind: MPITrafficKind, _ count: Int) {
        bytes[kind, default: 0] += count
        messages += 1
    }
}
