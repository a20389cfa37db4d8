import Foundation
import SAETrackCore
import SAETrackIO

/// SAE-Track's shuffled activation buffer (Docs/Method.md §2.4), seeded:
///
/// - at start a half-buffer of `halfBufferTokens` activations is filled from the producer: the
///   *storage* (also the b_dec initialisation sample, ``initialisationSample(_:)``);
/// - on each refill a new half-buffer is concatenated with the storage and permuted; the first half
///   becomes the new storage, the second half (shuffled again, like SAE-Track's
///   `DataLoader(shuffle=True)`) is served as training batches.
///
/// Permutations come from `SeededRandom(seed ⊕ refill)`, so the stream is reproducible and its state
/// (storage, remaining loader rows, refill count, producer position) can be saved and restored.
public struct MixingActivationStore<Producer: ActivationProducer>: ActivationSource {
    public private(set) var producer: Producer
    public let halfBufferTokens: Int
    public let seed: UInt64
    /// (halfBufferTokens, d_in)
    public private(set) var storage: Matrix
    /// (remaining, d_in) rows still to serve, in order.
    private var loader: Matrix
    private var loaderOffset = 0
    /// Producer rows read beyond the last half-buffer.
    private var carry: Matrix
    public private(set) var refills = 0

    public var dIn: Int { producer.dIn }

    /// Builds the store and fills the initial storage half-buffer.
    public init(producer: Producer, halfBufferTokens: Int = 262_144, seed: UInt64 = 0) throws {
        precondition(halfBufferTokens > 0, "MixingActivationStore: half buffer must hold at least one activation")
        self.producer = producer
        self.halfBufferTokens = halfBufferTokens
        self.seed = seed
        carry = Matrix(rows: 0, cols: producer.dIn)
        loader = Matrix(rows: 0, cols: producer.dIn)
        storage = Matrix(rows: 0, cols: producer.dIn)
        storage = try fillHalf()
    }

    private mutating func fillHalf() throws -> Matrix {
        var blocks = [carry]
        var have = carry.rows
        while have < halfBufferTokens {
            let b = try producer.nextBlock()
            blocks.append(b); have += b.rows
        }
        let all = Self.concatenate(blocks, cols: dIn)
        carry = all.rows(halfBufferTokens..<all.rows)
        return all.rows(0..<halfBufferTokens)
    }

    private mutating func refill() throws {
        let fresh = try fillHalf()
        let mixed = Self.concatenate([storage, fresh], cols: dIn)                  // (2H, d)
        var rng = SeededRandom(seed: seed ^ (UInt64(refills + 1) &* 0x9E37_79B9_7F4A_7C15))
        let perm = rng.permutation(mixed.rows)
        storage = mixed.rows(at: Array(perm[0..<halfBufferTokens]))
        let second = Array(perm[halfBufferTokens...])
        let shuffle = rng.permutation(second.count)                               // DataLoader(shuffle=True)
        loader = mixed.rows(at: shuffle.map { second[$0] })
        loaderOffset = 0
        refills += 1
    }

    public mutating func nextBatch(_ n: Int) throws -> Matrix {
        var parts: [Matrix] = []
        var need = n
        while need > 0 {
            if loaderOffset == loader.rows { try refill() }
            let take = min(need, loader.rows - loaderOffset)
            parts.append(loader.rows(loaderOffset..<(loaderOffset + take)))
            loaderOffset += take; need -= take
        }
        return parts.count == 1 ? parts[0] : Self.concatenate(parts, cols: dIn)
    }

    /// The first `n` rows of the storage buffer (SAE-Track's geometric-median sample), not consumed.
    public mutating func initialisationSample(_ n: Int) throws -> Matrix {
        storage.rows(0..<min(n, storage.rows))
    }

    private struct Header: Codable {
        var halfBufferTokens: Int, seed: UInt64, refills: Int, loaderOffset: Int
        var producer: ActivationProducerPosition
    }

    public func saveState(to directory: URL) throws {
        try SafetensorsWriter.write(["storage": TensorData(storage), "loader": TensorData(loader), "carry": TensorData(carry)],
                                    to: directory.appendingPathComponent("activation_store.safetensors"))
        let header = Header(halfBufferTokens: halfBufferTokens, seed: seed, refills: refills,
                            loaderOffset: loaderOffset, producer: producer.position)
        try JSONFile.write(header, to: directory.appendingPathComponent("activation_store.json"))
    }

    public mutating func restoreState(from directory: URL) throws {
        let url = directory.appendingPathComponent("activation_store.json")
        let header = try JSONDecoder().decode(Header.self, from: Data(contentsOf: url))
        guard header.halfBufferTokens == halfBufferTokens && header.seed == seed else {
            throw SAETrainingError.badState(url, "saved with half buffer \(header.halfBufferTokens) and seed \(header.seed), this store has \(halfBufferTokens) and \(seed)")
        }
        let file = try SafetensorsFile(contentsOf: directory.appendingPathComponent("activation_store.safetensors"))
        func load(_ name: String) throws -> Matrix {
            let m = try file.matrix(name)
            return m.count == 0 ? Matrix(rows: 0, cols: dIn) : m
        }
        storage = try load("storage"); loader = try load("loader"); carry = try load("carry")
        refills = header.refills; loaderOffset = header.loaderOffset
        try producer.seek(to: header.producer)
    }

    static func concatenate(_ parts: [Matrix], cols: Int) -> Matrix {
        var storage: [Float] = []
        storage.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for p in parts { storage.append(contentsOf: p.storage) }
        return Matrix(rows: storage.count / max(cols, 1), cols: cols, storage: storage)
    }
}
