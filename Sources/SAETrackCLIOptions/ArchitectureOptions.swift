import ArgumentParser
import SAETrack

/// The SAE architecture and its TopK-family options, shared by `saetrack train-sae` and
/// `saetrack-mpi train-sae`: `--architecture`, `--matryoshka-widths`, `--k`, `--topk-threshold-lr`,
/// `--rescale-acts-by-decoder-norm`, `--use-matryoshka-aux-loss`.
public struct ArchitectureOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, help: "standard (ReLU + L1, the paper's), topk, batchtopk (saved as a JumpReLU SAE), jumprelu, or matryoshka (Matryoshka BatchTopK, saved as a JumpReLU SAE; needs --matryoshka-widths).") public var architecture = SAEArchitecture.standard
    @Option(name: .customLong("matryoshka-widths"), help: "Matryoshka: increasing prefix widths of the nested levels, comma-separated, e.g. 128,512,2048 (d_sae is appended as the last level when missing; SAELens matryoshka_widths).") public var matryoshkaWidths: String?
    @Option(name: .long, help: "TopK / BatchTopK: active latents per token (BatchTopK: on average over the batch).") public var k = 32
    @Option(name: .long, help: "BatchTopK: rate of the running threshold (SAELens topk_threshold_lr).") public var topkThresholdLr = 0.01
    @Flag(name: .long, help: "TopK, BatchTopK, Matryoshka: select on pre-activations × decoder row norms, decode divided by them (SAELens rescale_acts_by_decoder_norm); TopK is saved with the option, BatchTopK / Matryoshka as JumpReLU with the norms folded in.") public var rescaleActsByDecoderNorm = false
    @Flag(name: .customLong("use-matryoshka-aux-loss"), help: "Matryoshka: AuxK per level, each level's dead latents reconstructing the residual of the prefix ending with that level (SAELens use_matryoshka_aux_loss; default: AuxK on the full reconstruction).") public var useMatryoshkaAuxLoss = false

    /// Refuses a bad value or an option of another architecture, by flag name (``parsed()``).
    public func validate() throws { _ = try parsed() }

    /// The architecture and Matryoshka's widths (empty for other architectures), or an error naming
    /// the flag: bad or misplaced widths, `--rescale-acts-by-decoder-norm`
    /// outside the TopK family, `--use-matryoshka-aux-loss` outside matryoshka, a rate outside (0, 1].
    public func parsed() throws -> (architecture: SAEArchitecture, widths: [Int]) {
        let arch = architecture
        let widths = try MatryoshkaWidthsOption.parse(matryoshkaWidths, architecture: arch)
        try Self.check(rescaleActsByDecoderNorm: rescaleActsByDecoderNorm, useMatryoshkaAuxLoss: useMatryoshkaAuxLoss,
                       architecture: arch)
        if !(topkThresholdLr > 0 && topkThresholdLr <= 1) { throw ValidationError("--topk-threshold-lr must be in (0, 1]") }
        return (arch, widths)
    }

    /// Refuses `--rescale-acts-by-decoder-norm` outside the TopK family and `--use-matryoshka-aux-loss`
    /// outside matryoshka, by flag name (also `track`'s check of its own flags).
    public static func check(rescaleActsByDecoderNorm: Bool, useMatryoshkaAuxLoss: Bool,
                             architecture arch: SAEArchitecture) throws {
        if rescaleActsByDecoderNorm && !arch.usesK {
            throw ValidationError("--rescale-acts-by-decoder-norm is a topk, batchtopk and matryoshka option (got --architecture \(arch.rawValue))")
        }
        if useMatryoshkaAuxLoss && arch != .matryoshka {
            throw ValidationError("--use-matryoshka-aux-loss is a matryoshka option (got --architecture \(arch.rawValue))")
        }
    }

    /// Sets the architecture, k, the BatchTopK rate, the rescale, Matryoshka's widths and aux loss in `config`.
    public func apply(to config: inout SAETrainingConfig) throws {
        let (arch, widths) = try parsed()
        config.architecture = arch
        config.k = k
        config.topkThresholdLR = topkThresholdLr
        config.rescaleActsByDecoderNorm = rescaleActsByDecoderNorm
        config.useMatryoshkaAuxLoss = useMatryoshkaAuxLoss
        config.matryoshkaWidths = widths
    }
}
