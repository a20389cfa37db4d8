import Testing
import SAETrackCore
import SAETrackLM
@testable import SAETrackMetrics

/// The token/concept rule on the demo's synthetic corpus (the tok engineer's generator), with
/// ideal SAE codes: feature j fires exactly on the tokens of planted label j, with a seeded jitter
/// so the top-k is spread over the corpus rather than the first occurrences.
@Test("semantic labels on the synthetic corpus: planted token features token-level, topic features concept-level")
func semanticLabelsOnSyntheticCorpus() throws {
    let corpus = try SyntheticCorpus(config: SyntheticCorpusConfig(documents: 400), seed: 7).generate()
    let names = ["word_and", "word_the", "word_says", "topic_sports_words", "topic_food_words",
                 "topic_music_function_words", "topic_finance", "verb"]
    let labels = names.map { corpus.label($0)! }
    let n = corpus.tokens.tokens.count
    var codes = Matrix(rows: n, cols: names.count)                       // (N, features)
    var rng = SeededRandom(seed: 1)
    codes.withUnsafeMutableBufferPointer { p in
        for t in 0..<n { for (j, mask) in labels.enumerated() where mask[t] != 0 { p[t * names.count + j] = 1 + rng.uniform() } }
    }
    var top = TopActivations(features: names.count, k: 20)
    top.add(codes: codes, firstToken: 0)
    var evo = SemanticEvolution(features: Array(names.indices))
    evo.add(step: 0, top: top, tokens: corpus.tokens.tokens, context: corpus.tokens.context)
    let f = evo.checkpoints[0].features
    func describe(_ j: Int) -> String {
        "\(names[j]): \(f[j].label) H_tok \(f[j].tokenEntropy) coherence \(f[j].contextCoherence)"
    }
    for j in 0..<3 { #expect(f[j].label == .tokenLevel, "\(describe(j))") }
    for j in 3..<7 { #expect(f[j].label == .conceptLevel, "\(describe(j))") }
    // Any of the 10 verbs, in every topic: diverse tokens, no shared topic → not concept-level.
    #expect(f[7].label == .mixed, "\(describe(7))")
}
