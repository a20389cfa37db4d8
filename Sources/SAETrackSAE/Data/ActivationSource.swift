import Foundation
import SAETrackCore
import SAETrackIO

/// A stream of activation vectors for SAE training.
public protocol ActivationSource {
    /// Width of each activation, d_in.
    var dIn: Int { get }
    /// The next `n` activations, (n, d_in).
    mutating func nextBatch(_ n: Int) throws -> Matrix
    /// A sample for the b_dec initialisation (SAE-Track: its storage buffer). Default: `nextBatch(n)`.
    mutating func initialisationSample(_ n: Int) throws -> Matrix
    /// Writes what is needed to continue the stream exactly (files inside `directory`).
    func saveState(to directory: URL) throws
    /// Continues the stream from a state written by `saveState(to:)`.
    mutating func restoreState(from directory: URL) throws
}

extension ActivationSource {
    public mutating func initialisationSample(_ n: Int) throws -> Matrix { try nextBatch(n) }
    public func saveState(to directory: URL) throws {
        throw SAETrainingError.notResumable("\(type(of: self)) cannot save its position")
    }
    public mutating func restoreState(from directory: URL) throws {
        throw SAETrainingError.notResumable("\(type(of: self)) cannot restore its position")
    }
}

/// Seeded shuffled epochs over an activation matrix held in memory, or the rows in file order.
///
/// Epoch e visits the rows in the order `SeededRandom(seed: seed ⊕ e).permutation(N)` — or, with
/// `shuffled: false`, in order 0..<N, so batch i is rows i·n ..< (i+1)·n (wrapping), which any
/// outside tool can reproduce; its b_dec initialisation sample is then the first rows, not consumed.
/// Batches run across epoch boundaries. The position (epoch, offset) is the whole state, so resuming
/// is exact.
public struct InMemoryActivations: ActivationSource {
    /// (N, d_in)
    public let activations: Matrix
    public let seed: UInt64
    /// false: every epoch visits the rows in file order.
    public let shuffled: Bool
    public private(set) var epoch = 0
    public private(set) var offset = 0
    private var order: [Int]

    public var dIn: Int { activations.cols }

    public init(_ activations: Matrix, seed: UInt64 = 0, shuffled: Bool = true) {
        precondition(activations.rows > 0, "InMemoryActivations: no activations")
        self.activations = activations
        self.seed = seed
        self.shuffled = shuffled
        order = Self.permutation(epoch: 0, seed: seed, n: activations.rows, shuffled: shuffled)
    }

    private static func permutation(epoch: Int, seed: UInt64, n: Int, shuffled: Bool) -> [Int] {
        if !shuffled { return Array(0..<n) }
        var rng = SeededRandom(seed: seed ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15))
        return rng.permutation(n)
    }

    public mutating func nextBatch(_ n: Int) throws -> Matrix {
        let d = dIn
        var out = Matrix(rows: n, cols: d)                                     // (n, d_in)
        out.withUnsafeMutableBufferPointer { o in
            activations.withUnsafeBufferPointer { a in
                for r in 0..<n {
                    if offset == order.count {
                        epoch += 1; offset = 0
                        order = Self.permutation(epoch: epoch, seed: seed, n: activations.rows, shuffled: shuffled)
                    }
                    (o.baseAddress! + r * d).update(from: a.baseAddress! + order[offset] * d, count: d)
                    offset += 1
                }
            }
        }
        return out
    }

    /// File order: the first `n` rows (not consumed). Shuffled: the next batch, as the default.
    public mutating func initialisationSample(_ n: Int) throws -> Matrix {
        if shuffled { return try nextBatch(n) }
        return activations.rows(0..<min(n, activations.rows))
    }

    private struct Position: Codable { var epoch: Int; var offset: Int; var seed: UInt64; var rows: Int; var shuffled: Bool? }

    public func saveState(to directory: URL) throws {
        try JSONFile.write(Position(epoch: epoch, offset: offset, seed: seed, rows: activations.rows, shuffled: shuffled),
                           to: directory.appendingPathComponent("source.json"))
    }

    public mutating func restoreState(from directory: URL) throws {
        let url = directory.appendingPathComponent("source.json")
        let pos = try JSONDecoder().decode(Position.self, from: Data(contentsOf: url))
        guard pos.seed == seed && pos.rows == activations.rows && (pos.shuffled ?? true) == shuffled else {
            throw SAETrainingError.badState(url, "saved for seed \(pos.seed) over \(pos.rows) rows (shuffled \(pos.shuffled ?? true)), "
                                            + "this source has seed \(seed) over \(activations.rows) rows (shuffled \(shuffled))")
        }
        epoch = pos.epoch; offset = pos.offset
        order = Self.permutation(epoch: epoch, seed: seed, n: activations.rows, shuffled: shuffled)
    }
}
