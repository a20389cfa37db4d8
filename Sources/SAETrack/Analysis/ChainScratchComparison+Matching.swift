import SAETrackCore
import SAETrackMetrics

extension TrackAnalysis.ChainScratchComparison {
    /// Matches the chain SAE's decoder `chain` (d_sae, d_in) against the from-scratch SAE's
    /// `scratch` at the same checkpoint, live features only: one-to-one by maximum total cosine
    /// (`OneToOneMatching`, exact Hungarian up to 2048 live features) and best-partner MMCS
    /// both ways (`Matching`).
    public init(step: Int, chain: Matrix, chainAlive: [Bool], scratch: Matrix, scratchAlive: [Bool],
                threshold: Float = Matching.defaultThreshold) {
        let oneToOne = OneToOneMatching(chain, scratch, aliveA: chainAlive, aliveB: scratchAlive, threshold: threshold)
        let best = Matching.compare(chain, scratch, aliveA: chainAlive, aliveB: scratchAlive, threshold: threshold)
        let cos = oneToOne.cosine.compactMap { $0 }.map(Double.init).sorted()
        self.init(step: step, method: oneToOne.method.rawValue, liveChain: best.liveA, liveScratch: best.liveB,
                  matched: oneToOne.matched,
                  matchedCosineQuantiles: cos.isEmpty ? [] : [0.1, 0.25, 0.5, 0.75, 0.9].map { Quantile.linear(sorted: cos, $0) },
                  matchedCosineMean: oneToOne.meanCosine.map(Double.init),
                  mmcsChainToScratch: best.mmcsAToB.map(Double.init), mmcsScratchToChain: best.mmcsBToA.map(Double.init),
                  sharedFraction: oneToOne.sharedFraction.map(Double.init), threshold: Double(threshold))
    }

    /// Median cosine of the matched pairs (nil with no pair).
    public var matchedMedian: Double? { matchedCosineQuantiles.count == 5 ? matchedCosineQuantiles[2] : nil }
}
