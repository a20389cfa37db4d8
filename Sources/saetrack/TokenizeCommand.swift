import ArgumentParser
import Foundation
import SAETrack

/// `saetrack tokenize`: text or JSONL → packed token rows (Docs/Method.md §2.4).
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenise text or JSONL into packed rows of --context tokens (safetensors `tokens` I32 [rows, context]).",
        discussion: """
        Each document gets BOS prepended; a document that overflows a row continues in the next row \
        with BOS prepended again (SAELens packing, Docs/Method.md §2.4). The partial last row is dropped.
        --tokenizer takes a tokenizer.json, a vocab.json (merges.txt beside it), or a model directory.
        """
    )

    @Option(help: "tokenizer.json, vocab.json (with merges.txt beside it), or a directory holding them.")
    var tokenizer: String
    @Option(help: "Input text (one document per line) or JSONL (`text` field) file.")
    var input: String
    @Option(help: "Output token file (.safetensors).")
    var out: String
    @Option(help: "Tokens per row.")
    var context: Int = 128
    @Option(help: "Stop after this many rows.")
    var maxRows: Int?
    @Option(help: "Input format: jsonl, lines (one document per line) or paragraphs (blank-line separated). Default: from the extension.")
    var format: DocumentReader.Format?
    @Option(help: "JSONL field holding the document text.")
    var textField: String = "text"
    @Option(help: "BOS token id (default: the tokenizer's <|endoftext|> or other BOS token).")
    var bosId: Int32?
    @Flag(help: "Pack without any BOS token.")
    var noBos = false
    @Option(help: "Truncate each document (BOS included) to this many tokens, as TransformerLens's to_tokens(truncate=True) does with n_ctx.")
    var truncateDocuments: Int?

    func run() throws {
        let tok = try Tokenizer.load(from: URL(fileURLWithPath: tokenizer))
        let bos: Int32?
        if noBos {
            bos = nil
        } else if let bosId {
            bos = bosId
        } else if let found = tok.bosTokenID {
            bos = found
        } else {
            throw ValidationError("\(tokenizer): no BOS token found; pass --bos-id N or --no-bos")
        }
        let inputURL = URL(fileURLWithPath: input)
        var reader = try DocumentReader(url: inputURL, format: format, textField: textField)
        let totalBytes = (try? FileManager.default.attributesOfItem(atPath: inputURL.path)[.size] as? Int) ?? 0
        let builder = TokenFileBuilder(tokenizer: tok, context: context, bosTokenID: bos, maxRows: maxRows,
                                       maxDocumentTokens: truncateDocuments)
        let printer = ProgressPrinter()
        let result = try builder.build(from: &reader, to: URL(fileURLWithPath: out),
                                       metadata: ["tokenizer": tokenizer, "source": input]) { p in
            let s = max(p.seconds, 1e-9)
            var line = String(format: "tokenize: %d docs (%.0f docs/s), %d tokens (%.0f tokens/s), %d rows",
                              p.documents, Double(p.documents) / s, p.tokens, Double(p.tokens) / s, p.rows)
            if totalBytes > 0, p.bytesRead > 0 {
                let eta = s * Double(totalBytes - p.bytesRead) / Double(p.bytesRead)
                line += String(format: ", %.0f%%, ETA ", 100 * Double(p.bytesRead) / Double(totalBytes)) + ProgressClock.format(eta)
            }
            printer.show(line)
        }
        printer.finish()
        print("wrote \(out): \(result.rows) rows × \(context) tokens from \(result.documents) documents "
              + "(\(result.tokens) text tokens; \(result.droppedTokens) in the dropped partial last row) "
              + String(format: "in %.1fs", result.seconds))
    }
}
