import ArgumentParser
import Foundation
import SAETrack

/// `saetrack corpus`: the seeded synthetic corpus with planted features and ground truth.
struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Generate the synthetic corpus (tokens, per-token labels of planted features, features.json, tokenizer.json).",
        discussion: """
        Writes DIR/tokens.safetensors (`tokens` I32 [rows, context]), DIR/labels.safetensors (one U8 \
        [rows, context] tensor per planted feature), DIR/features.json and DIR/tokenizer.json (WordLevel).
        """
    )

    @Option(help: "Output directory.")
    var out: String
    @Option(help: "Documents to generate (default: the demo's \(SyntheticCorpusConfig.demo.documents)).")
    var documents: Int?
    @Option(help: "Generate until exactly this many rows exist (overrides --documents).")
    var rows: Int?
    @Option(help: "Tokens per row (default \(SyntheticCorpusConfig.demo.context)).")
    var context: Int?
    @Option(help: "Random seed.")
    var seed: UInt64 = 0
    @Option(help: "A JSON config file (keys as in features.json's \"config\"); flags override it.")
    var config: String?

    func run() throws {
        var cfg = SyntheticCorpusConfig.demo
        if let config {
            do {
                cfg = try JSONDecoder().decode(SyntheticCorpusConfig.self, from: Data(contentsOf: URL(fileURLWithPath: config)))
            } catch {
                throw ValidationError("--config \(config): \(SystemErrorText.describe(error))")
            }
        }
        if let documents { cfg.documents = documents }
        if let rows { cfg.rows = rows }
        if let context { cfg.context = context }
        try cfg.validate()
        let start = Date()
        FileHandle.standardError.write(Data("corpus: generating \(cfg.rows.map { "\($0) rows" } ?? "\(cfg.documents) documents") (seed \(seed))…\n".utf8))
        let output = try SyntheticCorpus(config: cfg, seed: seed).generate()
        let generated = Date().timeIntervalSince(start)
        try output.write(to: URL(fileURLWithPath: out))
        let total = Date().timeIntervalSince(start)
        let n = output.tokens.tokens.count
        FileHandle.standardError.write(Data(String(format: "corpus: %d documents, %d tokens in %.2fs (%.1fM tokens/s); written in %.2fs\n",
                                                   output.documents, n, generated, Double(n) / max(generated, 1e-9) / 1e6, total).utf8))
        print("wrote \(out): \(output.tokens.rows) rows × \(output.tokens.context) tokens, \(output.features.count) planted features")
        for f in output.features {
            print(String(format: "  %-32@ %-10@ target %.4f measured %.4f", f.name as NSString, f.kind.rawValue as NSString,
                         f.targetFrequency, f.measuredFrequency ?? 0))
        }
    }
}
