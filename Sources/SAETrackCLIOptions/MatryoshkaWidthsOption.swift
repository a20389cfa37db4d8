import ArgumentParser
import SAETrack

/// `--matryoshka-widths 128,512,2048`: the nested levels of a Matryoshka SAE.
public enum MatryoshkaWidthsOption {
    /// The widths given (empty when the flag is absent); refuses a malformed list, widths without
    /// `--architecture matryoshka`, and matryoshka without widths. Ordering and range are checked
    /// with the rest of the training configuration (`SAETrainingConfig.validate`).
    public static func parse(_ text: String?, architecture: SAEArchitecture) throws -> [Int] {
        guard let text else {
            if architecture == .matryoshka { throw ValidationError("--architecture matryoshka needs --matryoshka-widths (e.g. 128,512,2048)") }
            return []
        }
        if architecture != .matryoshka { throw ValidationError("--matryoshka-widths is a --architecture matryoshka option") }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let widths = parts.compactMap { Int($0) }
        guard widths.count == parts.count, !widths.isEmpty else {
            throw ValidationError("--matryoshka-widths must be comma-separated integers (got \(text))")
        }
        return widths
    }
}
