import SAETrackCore

/// The seeded order in which token rows are drawn: epoch e is a permutation of all rows drawn from
/// `SeededRandom(seed: seed &+ e·φ)`, and step s takes the next `batchRows` entries of the
/// concatenated epochs. Any step's batch is computed directly, so a resumed run sees the same data.
public struct BatchSampler: Sendable {
    public let rows: Int
    public let batchRows: Int
    public let seed: UInt64
    private var cachedEpoch = -1
    private var cachedPermutation: [Int] = []

    public init(rows: Int, batchRows: Int, seed: UInt64) {
        precondition(rows >= 1 && batchRows >= 1, "BatchSampler: needs at least one row and one row per batch")
        self.rows = rows
        self.batchRows = batchRows
        self.seed = seed
    }

    /// Row indices of zero-based step `step`'s batch.
    public mutating func rowIndices(step: Int) -> [Int] {
        (0..<batchRows).map { i in
            let position = step * batchRows + i
            return permutation(epoch: position / rows)[position % rows]
        }
    }

    private mutating func permutation(epoch: Int) -> [Int] {
        if epoch != cachedEpoch {
            var rng = SeededRandom(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
            cachedPermutation = rng.permutation(rows)
            cachedEpoch = epoch
        }
        return cachedPermutation
    }
}
