import SAETrackCore
import SAETrackMetrics

extension TrackAnalysis {
    /// The seed-noise floor and the chain's drift set against it (Docs/Method.md §8.4).
    ///
    /// At each baseline step with S ≥ 2 finished from-scratch SAEs (`track --baseline-seeds S`),
    /// the floor is the pairwise dictionary MCC among them (`OneToOneMatching.mcc`:
    /// mean decoder cosine under the optimal one-to-one assignment, live features), beside the
    /// chain SAE's MCC to each of them. Every interval of the chain gets the MCC of its two
    /// consecutive chain SAEs (same measure) and the floor it is compared with:
    ///
    /// ```
    /// drift(c−1 → c) = 1 − MCC(chain[c−1], chain[c])
    /// seed noise     = 1 − mean_{s<t} MCC(scratch_s, scratch_t)      at the reference baseline step
    /// exceeds        ⇔ drift > seed noise   ⇔ MCC(chain[c−1], chain[c]) < floor mean
    /// ```
    ///
    /// The reference baseline step of an interval is the one nearest to its later checkpoint in
    /// chain position (the later one on a tie).
    public struct SeedNoiseFloor: Codable, Equatable {
        public var checkpoints: [Checkpoint]
        public var intervals: [Interval]

        public init(checkpoints: [Checkpoint], intervals: [Interval]) {
            self.checkpoints = checkpoints; self.intervals = intervals
        }

        /// The floor at one baseline step.
        public struct Checkpoint: Codable, Equatable {
            public var step: Int
            /// Finished from-scratch SAEs (seeds) at this step.
            public var seeds: Int
            /// "exactHungarian" or "greedyTopK" (the least exact over every matching made here).
            public var method: String
            /// Live features of the chain SAE and of each scratch SAE (seed order) on the step's evaluation tokens.
            public var liveChain: Int
            public var liveScratch: [Int]
            /// Every pair of seeds.
            public var pairs: [Pair]
            /// Mean, smallest and largest pairwise MCC: the floor.
            public var floorMean: Double?
            public var floorMin: Double?
            public var floorMax: Double?
            /// MCC of the chain SAE to each scratch SAE (seed order) and its mean.
            public var chainVsScratch: [Double?]
            public var chainVsScratchMean: Double?

            public init(step: Int, seeds: Int, method: String, liveChain: Int, liveScratch: [Int], pairs: [Pair],
                        floorMean: Double?, floorMin: Double?, floorMax: Double?, chainVsScratch: [Double?], chainVsScratchMean: Double?) {
                self.step = step; self.seeds = seeds; self.method = method; self.liveChain = liveChain; self.liveScratch = liveScratch
                self.pairs = pairs; self.floorMean = floorMean; self.floorMin = floorMin; self.floorMax = floorMax
                self.chainVsScratch = chainVsScratch; self.chainVsScratchMean = chainVsScratchMean
            }
        }

        /// MCC of two seeds' SAEs (seed indices `seedA < seedB`).
        public struct Pair: Codable, Equatable {
            public var seedA: Int
            public var seedB: Int
            public var mcc: Double?
            public init(seedA: Int, seedB: Int, mcc: Double?) { self.seedA = seedA; self.seedB = seedB; self.mcc = mcc }
        }

        /// One interval of the chain against the floor.
        public struct Interval: Codable, Equatable {
            public var fromStep: Int
            public var toStep: Int
            /// MCC(chain[from], chain[to]) after one-to-one matching (live in each).
            public var mcc: Double?
            /// Mean index-aligned cosine cos(W_dec[to][i], W_dec[from][i]) over features live in both:
            /// the chain's own identity; ≤ `mcc` when the matching is exact and both SAEs have the same live features.
            public var indexAlignedCosineMean: Double?
            /// The reference baseline step and its floor mean.
            public var floorStep: Int
            public var floorMean: Double?
            /// 1 − mcc > 1 − floorMean (nil when either is missing).
            public var exceedsFloor: Bool?

            public init(fromStep: Int, toStep: Int, mcc: Double?, indexAlignedCosineMean: Double?, floorStep: Int, floorMean: Double?) {
                self.fromStep = fromStep; self.toStep = toStep; self.mcc = mcc; self.indexAlignedCosineMean = indexAlignedCosineMean
                self.floorStep = floorStep; self.floorMean = floorMean
                exceedsFloor = mcc.flatMap { m in floorMean.map { m < $0 } }
            }
        }

        /// The intervals whose drift exceeds the seed noise of their reference floor.
        public var exceedingIntervals: [Interval] { intervals.filter { $0.exceedsFloor == true } }
    }
}

extension TrackAnalysis.SeedNoiseFloor.Checkpoint {
    /// The floor at `step` from the chain SAE's decoder and those of the S ≥ 2 scratch SAEs (seed
    /// order), each with its live mask on the step's evaluation tokens.
    public init(step: Int, chain: Matrix, chainAlive: [Bool], scratch: [Matrix], scratchAlive: [[Bool]]) {
        let floor = SeedFloor(decoders: scratch, alive: scratchAlive)
        let toChain = scratch.indices.map { OneToOneMatching(chain, scratch[$0], aliveA: chainAlive, aliveB: scratchAlive[$0]) }
        let methods = floor.pairs.map(\.method) + toChain.map(\.method)
        let values = toChain.compactMap(\.mcc).map(Double.init)
        self.init(step: step, seeds: scratch.count,
                  method: (methods.contains(.greedyTopK) ? AssignmentMethod.greedyTopK : .exactHungarian).rawValue,
                  liveChain: chainAlive.filter { $0 }.count, liveScratch: scratchAlive.map { $0.filter { $0 }.count },
                  pairs: floor.pairs.map { .init(seedA: $0.a, seedB: $0.b, mcc: $0.mcc.map(Double.init)) },
                  floorMean: floor.mean.map(Double.init), floorMin: floor.min.map(Double.init), floorMax: floor.max.map(Double.init),
                  chainVsScratch: toChain.map { $0.mcc.map(Double.init) },
                  chainVsScratchMean: values.isEmpty ? nil : values.reduce(0, +) / Double(values.count))
    }
}

extension TrackAnalysis.SeedNoiseFloor {
    /// The reference floor of each interval: of `floors` (at baseline steps), the one nearest in
    /// chain position to the interval's later checkpoint, the later one on a tie.
    /// - Parameters:
    ///   - steps: the chain's checkpoint steps, in chain order
    ///   - consecutive: per interval k (steps[k] → steps[k+1]): its MCC and mean index-aligned cosine
    public init(steps: [Int], floors: [Checkpoint], consecutive: [(mcc: Double?, indexAligned: Double?)]) {
        precondition(consecutive.count == max(0, steps.count - 1), "SeedNoiseFloor: \(consecutive.count) intervals for \(steps.count) checkpoints")
        let positions = floors.compactMap { f in steps.firstIndex(of: f.step).map { ($0, f) } }
        let intervals = consecutive.enumerated().compactMap { k, c -> Interval? in
            let to = k + 1
            guard let ref = positions.min(by: { a, b in
                let (da, db) = (abs(a.0 - to), abs(b.0 - to))
                return da != db ? da < db : a.0 > b.0
            }) else { return nil }
            return Interval(fromStep: steps[k], toStep: steps[to], mcc: c.mcc, indexAlignedCosineMean: c.indexAligned,
                            floorStep: ref.1.step, floorMean: ref.1.floorMean)
        }
        self.init(checkpoints: floors, intervals: intervals)
    }
}
