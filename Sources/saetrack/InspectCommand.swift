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
            The header is validated strictly: a malformed file exits non-zero with the specific problem. \
            `saetrack inspect --system` describes the machine instead: the CPU, which OpenBLAS kernel family \
            runs and who chose it (OpenBLAS, SAETrack, or OPENBLAS_CORETYPE), and the thread budget.
            """
    )

    @Argument(help: "A .safetensors file, a model directory or an SAE directory.")
    var path: String?

    @Flag(name: .long, help: "Print JSON instead of a table (statistics of all-NaN tensors are null, ±inf as strings).")
    var json = false

    @Flag(name: .long, help: "Describe this machine instead of a file: CPU, the OpenBLAS kernel family that runs and why, threads.")
    var system = false

    func validate() throws {
        if system && path != nil { throw ValidationError("give either PATH or --system, not both") }
        if !system && path == nil { throw ValidationError("missing PATH (a file or directory), or --system") }
    }

    func run() throws {
        if system { return try printSystem() }
        let report = try Inspection(URL(fileURLWithPath: path!))
        if json {
            let data = try JSONSerialization.data(withJSONObject: report.jsonObject,
                                                  options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(report.table)
        }
    }

    /// `--system`: the kernel status, OpenBLAS's build and SAETrack's thread budget.
    private func printSystem() throws {
        let kernel = BLASKernel.status
        if json {
            struct System: Encodable {
                var kernel: BLASKernel.Status
                var openblasConfig: String
                var threads: Int
                enum CodingKeys: String, CodingKey { case kernel, threads, openblasConfig = "openblas_config" }
            }
            let system = System(kernel: kernel, openblasConfig: Threads.blasConfig, threads: Threads.count)
            print(String(decoding: try JSONFile.encoder().encode(system), as: UTF8.self))
        } else {
            print(kernel.description)
            print("OpenBLAS: \(Threads.blasConfig)")
            print("Threads: \(Threads.count) (SAETRACK_THREADS, else the active processor count)")
        }
    }
}
