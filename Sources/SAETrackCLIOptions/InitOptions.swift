import ArgumentParser
import SAETrack

extension SAEWeightInitChoice: ExpressibleByArgument {}
extension SAEBDecInitChoice: ExpressibleByArgument {}

extension SAEClipGradNormChoice: ExpressibleByArgument {
    public init?(argument: String) { self.init(text: argument) }
    public static var defaultCompletionKind: CompletionKind { .list(["auto", "none", "1"]) }
}

/// A from-scratch SAE's initialisation and the gradient clipping, shared by `train-sae` and `track`
/// of `saetrack` and by `saetrack-mpi train-sae` (`SAEInitChoices`; `auto` resolves per
/// architecture and loss form, in the library).
public struct InitOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("weight-init"), help: "From-scratch W_enc / W_dec: auto, sae-track (independent Kaiming-uniform, unit decoder rows) or saelens (tied: decoder rows of norm --decoder-init-norm, W_enc = W_decᵀ). auto: saelens for jumprelu and for standard with --loss saelens, sae-track otherwise (the paper's ReLU recipe, topk, batchtopk, matryoshka).")
    public var weightInit: SAEWeightInitChoice = .auto
    @Option(name: .customLong("decoder-init-norm"), help: "saelens weight init: initial decoder row norm (SAELens decoder_init_norm).") public var decoderInitNorm: Float = 0.1
    @Option(name: .customLong("b-dec-init"), help: "From-scratch b_dec: auto, geometric-median (SAE-Track), mean or zeros (SAELens). auto: zeros for jumprelu and for standard with --loss saelens, geometric-median otherwise.")
    public var bDecInit: SAEBDecInitChoice = .auto
    @Option(name: .customLong("clip-grad-norm"), help: "Clip the total gradient norm to this before each Adam step: auto, none or a positive number (SAELens's trainer: 1). auto: 1 for jumprelu and for standard with --loss saelens, none otherwise.")
    public var clipGradNorm: SAEClipGradNormChoice = .auto

    /// Refuses a non-positive `--clip-grad-norm` or `--decoder-init-norm`.
    public func validate() throws {
        if case .norm(let c) = clipGradNorm, !(c > 0) { throw ValidationError("--clip-grad-norm must be positive, auto or none (got \(c))") }
        if !(decoderInitNorm > 0) { throw ValidationError("--decoder-init-norm must be positive") }
    }

    /// The options as a value.
    public var choices: SAEInitChoices {
        SAEInitChoices(weightInit: weightInit, bDecInit: bDecInit, clipGradNorm: clipGradNorm, decoderInitNorm: decoderInitNorm)
    }

    /// The resolved values for a fingerprint: nothing for SAE-Track's (so runs fingerprinted before
    /// the options existed still match), else the values — the same resolved values give the same entry
    /// whether they were given or came from auto.
    public func fingerprint(architecture: SAEArchitecture, mseMode: SAEMSEMode) -> [String] {
        let r = choices.resolved(architecture: architecture, mseMode: mseMode)
        let w = r.weightInit == .tied ? "saelens" : "sae-track"
        let b = ["geometricMedian": "geometric-median", "mean": "mean", "zeros": "zeros"][r.bDecInit.rawValue]!
        return (r.weightInit == .saeTrack && r.bDecInit == .geometricMedian ? [] : ["init \(w) \(decoderInitNorm) \(b)"])
            + (r.clipGradNorm.map { ["clip \($0)"] } ?? [])
    }
}
