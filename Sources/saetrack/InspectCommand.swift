import ArgumentParser
import Foundation
import SAETrack

/// `saetrack inspect PATH`: what a safetensors file, model directory or SAE directory holds.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the tensors (name, dtype, shape, min/max/mean, NaN count), config and metadata of a file or directory.",
        discussion: """
            PATH is a safetensors file, a Hugging Face model directory (config.json + model.safetensors or \
            sharded model.safetensors.index.json) or an SAE directory (cfg.json + sae_weights.safetensors, or \
            sparsify's sae.safetensors). Directories are also verified against their config; a mismatch is \
            reported, not fatal. Every value is read, so inspecting a large checkpoint takes as long as loading it. \
            The header is validated strictly: a malformed file exits non-zero with the specific problem.
            """
    )

    @Argument(help: "A .safetensors file, a model directory or an SAE directory.")
    var path: String

    @Flag(name: .long, help: "Print JSON instead of a table (statistics of all-NaN tensors are null, ±inf as strings).")
    var json = false

    func run() throws {
        let report = try Inspection(URL(fileURLWithPath: path))
        if json {
            let data = try JSONSerialization.data(withJSONObject: report.jsonObject,
                                                  options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(report.table)
        }
    }
}
