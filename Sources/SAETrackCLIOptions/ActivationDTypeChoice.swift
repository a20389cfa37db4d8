import ArgumentParser
import SAETrack

/// `--dtype` of `activations` and `--cache-dtype` of `train-sae` (both executables): how
/// activations are stored, by the library's ``ActivationDType``. Any case is accepted (`F16` as
/// `f16`); help and errors list the lower-case names.
public enum ActivationDTypeChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// 4-byte float32.
    case f32
    /// 2-byte IEEE half, rounded to nearest even.
    case f16
    /// 2-byte bfloat16, rounded to nearest even.
    case bf16

    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }

    /// The library's value.
    public var dtype: ActivationDType {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        }
    }
}
