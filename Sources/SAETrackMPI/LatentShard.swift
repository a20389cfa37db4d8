/// The contiguous block of latents one rank owns: W_enc columns, b_enc entries, W_dec rows and
/// their Adam moments for latents `start ..< start + count`.
///
/// Rank r of n owns ⌊r·m/n⌋ ..< ⌊(r+1)·m/n⌋, so the shards differ in size by at most one latent when
/// n does not divide d_sae (ragged), and concatenating them in rank order gives the full SAE.
public struct LatentShard: Sendable, Equatable {
    /// First latent of the shard (global index).
    public var start: Int
    /// Latents in the shard (may be 0 when there are more ranks than latents).
    public var count: Int
    /// All latents, d_sae.
    public var total: Int

    /// The shard of `rank` among `size` ranks over `total` latents.
    public init(rank: Int, size: Int, total: Int) {
        precondition(size > 0 && rank >= 0 && rank < size, "LatentShard: rank \(rank) of \(size)")
        start = Self.bound(rank, size: size, total: total)
        count = Self.bound(rank + 1, size: size, total: total) - start
        self.total = total
    }

    /// The global latent range.
    public var range: Range<Int> { start..<(start + count) }

    /// ⌊r·m/n⌋ without overflow for any realistic m, n.
    static func bound(_ r: Int, size: Int, total: Int) -> Int { r * total / size }

    /// Latent counts of every shard, in rank order.
    public static func counts(size: Int, total: Int) -> [Int] {
        (0..<size).map { LatentShard(rank: $0, size: size, total: total).count }
    }
}
