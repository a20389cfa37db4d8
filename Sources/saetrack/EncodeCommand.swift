import ArgumentParser
import Foundation
import SAETrack

/// `saetrack encode`: an SAE's codes for an activation file or for an LM's activations on a token file.
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Write an SAE's codes (sparse CSR, or dense) for activations or for a model's hook on a token file.",
        discussion: """
            The SAE directory (SAELens layout, any architecture SAETrack loads: standard, topk, jumprelu) \
            encodes with its own semantics (activation, b_dec on input, input normalisation). Input is \
            either --activations (safetensors `activations` F32 [N, d_in]) or --model/--hook/--tokens, \
            run in batches of --batch-rows token rows (N = rows × context, token-major). \
            Output safetensors: `indptr` I64 [N+1], `indices` I32 [nnz], `values` F32 [nnz], `shape` I64 [2] \
            (scipy.sparse.csr_matrix((values, indices, indptr), shape=shape)), or with --dense one \
            `codes` F32 [N, d_sae]. Prints rows, L0 (mean active features per row) and the number of \
            features that never fire. Threads: --threads or SAETRACK_THREADS (default: all cores).
            """
    )

    @Option(name: .long, help: "SAE directory (cfg.json + sae_weights.safetensors, or a sparsify folder).")
    var sae: String

    @Option(name: .long, help: "Activations: safetensors with `activations` F32 [N, d_in].")
    var activations: String?

    @Option(name: .long, help: "Hugging Face model directory (with --hook and --tokens instead of --activations).")
    var model: String?

    @Option(name: .long, help: "TransformerLens hook name, e.g. blocks.3.hook_resid_pre.")
    var hook: String?

    @Option(name: .long, help: "Token file: safetensors with `tokens` I32 [rows, context].")
    var tokens: String?

    @Flag(name: .long, inversion: .prefixedNo,
          help: "Subtract each token's mean over d_model before encoding (default: the SAE's `centered` metadata, else off).")
    var center: Bool? = nil

    @Option(name: .long, help: "Output safetensors file.")
    var out: String

    @Flag(name: .long, help: "Write one dense `codes` F32 [N, d_sae] tensor instead of CSR.")
    var dense = false

    @Option(name: .long, help: "Token rows per forward pass with --model.")
    var batchRows: Int = 16

    @Option(name: .long, help: "Worker threads (default: SAETRACK_THREADS or all cores).")
    var threads: Int?

    func validate() throws {
        let anyLM = model != nil || hook != nil || tokens != nil, allLM = model != nil && hook != nil && tokens != nil
        if activations != nil ? anyLM : !allLM {
            throw ValidationError("give either --activations, or all of --model, --hook and --tokens")
        }
        if batchRows < 1 { throw ValidationError("--batch-rows must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        if let threads { Threads.setDefault(threads) }
        let saeURL = URL(fileURLWithPath: sae)
        let (autoencoder, config) = try SparseAutoencoder.loadWithConfig(from: saeURL)
        var codes = SAECodesFile(width: autoencoder.dSAE)
        var metadata = ["sae": saeURL.standardizedFileURL.path, "architecture": config.architecture]
        if let activations {
            let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: activations))
            guard let info = file.info("activations"), info.shape.count == 2 else {
                throw ValidationError("\(activations): no 2-D `activations` tensor (expected F32 [N, d_in]; see `saetrack activations`)")
            }
            guard info.shape[1] == autoencoder.dIn else {
                throw ValidationError("\(activations): activations have d_in \(info.shape[1]), the SAE in \(sae) has d_in \(autoencoder.dIn)")
            }
            let x = try file.matrix("activations")                                   // (N, d_in)
            let chunk = 4096                                                          // rows per encode call
            for start in stride(from: 0, to: x.rows, by: chunk) {
                codes.append(autoencoder.encode(x.rows(start..<min(x.rows, start + chunk))))
            }
            metadata["activations"] = activations
        } else {
            let hookPoint = try HookPoint(name: hook!)
            let lm = try TransformerLM(directory: URL(fileURLWithPath: model!))
            try lm.validate(hookPoint)
            guard lm.dModel == autoencoder.dIn else {
                throw ValidationError("\(model!): d_model \(lm.dModel), the SAE in \(sae) has d_in \(autoencoder.dIn)")
            }
            if let trained = config.provenance.hookName, trained != hookPoint.name {
                FileHandle.standardError.write(Data("warning: the SAE was trained at \(trained), encoding \(hookPoint.name)\n".utf8))
            }
            let data = try TokenDataset(contentsOf: URL(fileURLWithPath: tokens!))
            try lm.validate(tokens: data.tokens, rows: data.rows, context: data.context)
            let centered = center ?? config.provenance.centered ?? false
            for start in stride(from: 0, to: data.rows, by: batchRows) {
                let n = min(batchRows, data.rows - start)
                let batch = Array(data.tokens[(start * data.context)..<((start + n) * data.context)])
                let x = lm.activations(tokens: batch, rows: n, context: data.context, at: hookPoint, centered: centered)
                codes.append(autoencoder.encode(x))                                  // (n·context, d_sae)
            }
            metadata["model"] = model!; metadata["hook"] = hookPoint.name; metadata["tokens"] = tokens!
            metadata["centered"] = String(centered)
        }
        try codes.write(to: URL(fileURLWithPath: out), dense: dense, metadata: metadata)
        print(String(format: "wrote %@: %d rows × %d features (%@), L0 %.3f, dead %d of %d",
                     out, codes.rows, autoencoder.dSAE, dense ? "dense" : "CSR", codes.l0, codes.deadCount, autoencoder.dSAE))
    }
}
