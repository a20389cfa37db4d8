import Foundation
import Testing
@testable import SAETrack
import SAETrackLM

/// Loads Tests/Fixtures/report/report.json (written by Tests/Fixtures/report/generate.py).
private func reportFixture(_ key: String) throws -> [String: Any] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/report/report.json")
    let all = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    return all[key] as! [String: Any]
}

private func doubles(_ any: Any?) -> [Double] { (any as! [NSNumber]).map(\.doubleValue) }
private func matrix(_ any: Any?) -> Matrix { Matrix((any as! [[NSNumber]]).map { $0.map(\.floatValue) }) }

@Suite("Report numbers against numpy / scipy / tokenizers")
struct ReportNumbersTests {
    @Test("activation histogram, density and quantiles of a feature match numpy.histogram and numpy.quantile")
    func distribution() throws {
        let fx = try reportFixture("distribution")
        let acts = doubles(fx["activations"]).map(Float.init)
        let d = ActivationDistribution(activations: acts, bins: fx["bins"] as! Int)
        #expect(d.counts == (fx["counts"] as! [Int]))
        #expect(abs(d.density - (fx["density"] as! Double)) < 1e-12)
        // Inputs are float32, numpy works in float64 on the same values: agreement to float32 rounding of the edges.
        for (a, b) in zip(d.edges, doubles(fx["edges"])) { #expect(abs(a - b) <= 1e-6 * max(1, abs(b))) }
        for (q, e) in zip(doubles(fx["quantile_levels"]), doubles(fx["quantiles"])) {
            #expect(abs(d.quantile(q)! - e) < 1e-6, "quantile \(q)")
        }
        // Samples come from inside their band, lowest band first, and never repeat a token.
        let s = d.samples(bands: FeatureCardBuilder.bands, perBand: 2)
        #expect(s.count == 8 && Set(s.map(\.token)).count == 8)
        for x in s {
            let (lo, hi) = FeatureCardBuilder.bands[x.band]
            #expect(Double(x.activation) >= d.quantile(lo)! - 1e-6 && Double(x.activation) <= d.quantile(hi)! + 1e-6)
        }
        #expect(ActivationDistribution(activations: [0, 0, 0]).samples(bands: FeatureCardBuilder.bands, perBand: 2).isEmpty)
    }

    @Test("logit lens: logits of a decoder direction and its top and bottom tokens match numpy")
    func logitLens() throws {
        let fx = try reportFixture("logit_lens")
        let lens = LogitLens(unembedding: matrix(fx["unembedding"]), lnWeight: doubles(fx["ln_weight"]).map(Float.init))
        let direction = doubles(fx["direction"]).map(Float.init)
        // float32 GEMM of a 12-long dot product vs float64: a few ulps of values of size ~3.
        for (a, b) in zip(lens.logits(direction), doubles(fx["logits"])) { #expect(abs(Double(a) - b) < 1e-4) }
        let e = lens.extremes(direction, k: fx["k"] as! Int)
        #expect(e.top.map { Int($0.0) } == (fx["top"] as! [Int]))
        #expect(e.bottom.map { Int($0.0) } == (fx["bottom"] as! [Int]))
    }

    @Test("chain vs from-scratch comparison: Hungarian-matched cosines and MMCS match scipy's linear_sum_assignment")
    func chainVersusScratch() throws {
        let fx = try reportFixture("chain_vs_scratch")
        let c = TrackAnalysis.ChainScratchComparison(step: 5, chain: matrix(fx["a"]), chainAlive: fx["alive_a"] as! [Bool],
                                                     scratch: matrix(fx["b"]), scratchAlive: fx["alive_b"] as! [Bool])
        #expect(c.method == "exactHungarian" && c.matched == fx["matched"] as! Int)
        #expect(c.liveChain == 28 && c.liveScratch == 23)
        // Cosines in float32 vs float64: 1e-5.
        for (a, b) in zip(c.matchedCosineQuantiles, doubles(fx["matched_quantiles"])) { #expect(abs(a - b) < 1e-5) }
        #expect(abs(c.matchedCosineMean! - (fx["matched_mean"] as! Double)) < 1e-5)
        #expect(abs(c.mmcsChainToScratch! - (fx["mmcs_a_to_b"] as! Double)) < 1e-5)
        #expect(abs(c.mmcsScratchToChain! - (fx["mmcs_b_to_a"] as! Double)) < 1e-5)
        #expect(abs(c.sharedFraction! - (fx["shared_fraction"] as! Double)) < 1e-6)
    }

    @Test("token pieces of byte-level BPE concatenate to `tokenizers`' decoding and equal single-token decodes for ASCII tokens")
    func pieces() throws {
        let fx = try reportFixture("pieces")
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tokenizer/bpe/tokenizer.json")
        let tok = try Tokenizer(tokenizerJSON: url)
        let ids = (fx["ids"] as! [Int]).map(Int32.init)
        let pieces = TokenDecoding.pieces(ids, tokenizer: tok)
        #expect(pieces.count == ids.count)
        #expect(pieces.joined() == fx["decoded"] as! String)
        for (p, e) in zip(pieces, fx["each"] as! [String]) where !e.contains("\u{FFFD}") { #expect(p == e) }
        #expect(pieces.contains { $0.hasPrefix(" ") } && !pieces.contains { $0.contains("Ġ") })
    }
}
