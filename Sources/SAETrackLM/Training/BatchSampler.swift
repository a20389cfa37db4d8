import SAETrackCore

/// The seeded order in which token rows are drawn, in phases of eligible rows.
///
/// Phase k starts at training step `phases[k].start` and draws from its eligible rows `pool_k`:
/// epoch e of the phase is a permutation of `pool_k` drawn from `SeededRandom(seed: seed &+ (e + k·2³²)·φ)`,
/// and step s (inside the phase) takes the next `batchRows` entries of the phase's concatenated
/// epochs, counted from the phase's start. Without a curriculum there is one phase of all rows from
/// step 0, the order `BatchSampler(rows:batchRows:seed:)` always had. Any step's batch is computed
/// directly, so a resumed run sees the same data.
public struct BatchSampler: Sendable {
    /// A run of training steps that draws from one pool of rows.
    public struct Phase: Equatable, Sendable {
        /// First training step of the phase.
        public var start: Int
        /// The rows it may draw (indices into the token file, increasing, at least one).
        public var rows: [Int]
        public init(start: Int, rows: [Int]) { self.start = start; self.rows = rows }
    }

    public let phases: [Phase]
    public let batchRows: Int
    public let seed: UInt64
    private var cachedKey = (phase: -1, epoch: -1)
    private var cachedPermutation: [Int] = []

    /// One phase: every row of `rows` from step 0.
    public init(rows: Int, batchRows: Int, seed: UInt64) {
        precondition(rows >= 1, "BatchSampler: needs at least one row")
        self.init(phases: [Phase(start: 0, rows: Array(0..<rows))], batchRows: batchRows, seed: seed)
    }

    /// Phases in step order, the first starting at step 0, each with a non-empty pool.
    public init(phases: [Phase], batchRows: Int, seed: UInt64) {
        precondition(batchRows >= 1, "BatchSampler: needs at least one row per batch")
        precondition(phases.first?.start == 0, "BatchSampler: the first phase starts at step 0")
        precondition(zip(phases, phases.dropFirst()).allSatisfy { $0.start < $1.start }, "BatchSampler: phases in increasing step order")
        precondition(phases.allSatisfy { !$0.rows.isEmpty }, "BatchSampler: every phase needs at least one row")
        self.phases = phases
        self.batchRows = batchRows
        self.seed = seed
    }

    /// Row indices of zero-based step `step`'s batch.
    public mutating func rowIndices(step: Int) -> [Int] {
        let k = phases.lastIndex { $0.start <= step } ?? 0
        let count = phases[k].rows.count
        return (0..<batchRows).map { i in
            let position = (step - phases[k].start) * batchRows + i
            return permutation(phase: k, epoch: position / count)[position % count]
        }
    }

    private mutating func permutation(phase k: Int, epoch: Int) -> [Int] {
        if (k, epoch) != cachedKey {
            var rng = SeededRandom(seed: seed &+ (UInt64(epoch) &+ UInt64(k) << 32) &* 0x9E37_79B9_7F4A_7C15)
            let pool = phases[k].rows
            cachedPermutation = rng.permutation(pool.count).map { pool[$0] }
            cachedKey = (k, epoch)
        }
        return cachedPermutation
    }
}
