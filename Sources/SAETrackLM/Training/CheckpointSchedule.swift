import Foundation

/// Which steps of a training run are saved as checkpoints.
///
/// `.logSpaced(every: K)` is Pythia's pattern: step 0, the powers of two 1, 2, 4, … up to the first
/// power of two ≥ 2K, then every K steps, plus the final step. For the demo (K = 60, 600 steps) that
/// is 0, 1, 2, 4, 8, 16, 32, 64, 128, 60, 120, …, 600: 19 checkpoints. `.explicit` lists the steps.
public enum CheckpointSchedule: Equatable, Sendable {
    case logSpaced(every: Int)
    case explicit([Int])

    /// Parses `log:60` or `list:0,1,2,10`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw LMTrainingError.invalidSchedule("'\(text)': expected log:K or list:S1,S2,…") }
        switch parts[0] {
        case "log":
            guard let k = Int(parts[1]), k >= 1 else { throw LMTrainingError.invalidSchedule("'\(text)': K must be a positive integer") }
            self = .logSpaced(every: k)
        case "list":
            let steps = parts[1].split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !steps.isEmpty, steps.allSatisfy({ ($0 ?? -1) >= 0 }) else {
                throw LMTrainingError.invalidSchedule("'\(text)': the list must hold non-negative integers")
            }
            self = .explicit(steps.map { $0! })
        default:
            throw LMTrainingError.invalidSchedule("'\(text)': unknown kind '\(parts[0])' (log or list)")
        }
    }

    /// The checkpoint steps in `0...total`, ascending and unique.
    public func steps(upTo total: Int) -> [Int] {
        var set: Set<Int> = []
        switch self {
        case .logSpaced(let k):
            set.insert(0)
            var p = 1
            while p <= total {
                set.insert(p)
                if p >= 2 * k { break }
                p *= 2
            }
            for s in stride(from: k, through: total, by: k) { set.insert(s) }
            set.insert(total)
        case .explicit(let list):
            for s in list where s <= total { set.insert(s) }
        }
        return set.sorted()
    }
}
