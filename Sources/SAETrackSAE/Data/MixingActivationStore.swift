import Foundation
import SAETrackCore
import SAETrackIO

/// The paper's shuffled activation buffer (SAE-Track's and early SAELens's `ActivationsStore`,
/// Docs/Method.md §2.4), seeded:
///
/// - `get_buffer`: a *half-buffer* of `halfBufferTokens` activations is read from the producer in
///   its order and randomly permuted;
/// - at start one half-buffer becomes the *storage* (also the b_dec initialisation sample,
///   ``initialisationSample(_:)``);
/// - on each refill a new half-buffer is put in front of the storage, the 2H rows are permuted,
///   the first half becomes the new storage and the second half, permuted once more (the
///   reference's `DataLoader(shuffle=True)`), is served as training batches.
///
/// The store holds at most 2H activations between refills (storage + the half being served) plus
/// a partial producer block (``heldRows``), whatever the number of tokens streamed through it.
/// When H is a multiple of the producer's block size, as in the paper (64 × 32 × 128), every
/// half-buffer is a whole number of blocks; otherwise rows beyond H are carried into the next half.
/// A batch that reaches the end of the served half continues into the next refill's half (the
/// reference would yield one short batch there; with the paper's sizes, 262,144 = 64 × 4096, it never does).
///
/// Randomness: buffer event e (0 = the initial fill, r = the r-th refill) draws from
/// `SeededRandom(seed: seed ^ (e · 0x9E3779B97F4A7C15))`, in the order: the new half's permutation,
/// then (refills only) the 2H mixing permutation and the served half's shuffle. So the stream is
/// reproducible; its state (storage, served half, carry, refill count, producer position) is saved
/// and restored exactly. The first fill happens at the first use, so a store restored from a saved
/// state never runs the producer for a half-buffer it will discard.
public struct MixingActivationStore<Producer: ActivationProducer>: ActivationSource {
    public private(set) var producer: Producer
    public let halfBufferTokens: Int
    public let seed: UInt64
    /// (halfBufferTokens, d_in) once filled; empty before the first use.
    public private(set) var storage: Matrix
    /// (remaining, d_in) rows still to serve, in order.
    private var loader: Matrix
    private var loaderOffset = 0
    /// Producer rows read beyond the last half-buffer (fewer than one producer block).
    private var carry: Matrix
    /// Refills done so far (0 before the first served batch).
    public private(set) var refills = 0
    private var filled = false

    public var dIn: Int { producer.dIn }

    /// Activations the store holds now: storage + the rest of the served half + the carried rows.
    /// At most 2 · `halfBufferTokens` + one producer block, independent of how much was streamed.
    public var heldRows: Int { storage.rows + loader.rows + carry.rows }

    /// Builds the store; the initial storage half-buffer is read at the first use.
    public init(producer: Producer, halfBufferTokens: Int = 262_144, seed: UInt64 = 0) throws {
        guard halfBufferTokens > 0 else {
            throw SAETrainingError.invalidConfig(["the mixing store's half buffer must hold at least one activation (got \(halfBufferTokens))"])
        }
        self.producer = producer
        self.halfBufferTokens = halfBufferTokens
        self.seed = seed
        carry = Matrix(rows: 0, cols: producer.dIn)
        loader = Matrix(rows: 0, cols: producer.dIn)
        storage = Matrix(rows: 0, cols: producer.dIn)
    }

    private func random(event: Int) -> SeededRandom {
        SeededRandom(seed: seed ^ (UInt64(event) &* 0x9E37_79B9_7F4A_7C15))
    }

    /// `get_buffer`: the next H producer rows, permuted with `rng`.
    private mutating func newHalf(_ rng: inout SeededRandom) throws -> Matrix {
        var blocks = [carry]
        var have = carry.rows
        while have < halfBufferTokens {
            let b = try producer.nextBlock()
            blocks.append(b); have += b.rows
        }
        let all = blocks.count == 1 ? blocks[0] : Self.concatenate(blocks, cols: dIn)
        carry = all.rows(halfBufferTokens..<all.rows)
        let half = all.rows == halfBufferTokens ? all : all.rows(0..<halfBufferTokens)
        return half.rows(at: rng.permutation(halfBufferTokens))
    }

    private mutating func fillIfNeeded() throws {
        guard !filled else { return }
        var rng = random(event: 0)
        storage = try newHalf(&rng)
        filled = true
    }

    private mutating func refill() throws {
        try fillIfNeeded()
        var rng = random(event: refills + 1)
        let fresh = try newHalf(&rng)
        var mixed = Self.concatenate([fresh, storage], cols: dIn)                 // (2H, d): torch.cat([new, storage])
        storage = Matrix(rows: 0, cols: dIn)
        let perm = rng.permutation(mixed.rows)
        storage = mixed.rows(at: Array(perm[0..<halfBufferTokens]))
        let second = Array(perm[halfBufferTokens...])
        let shuffle = rng.permutation(second.count)                               // DataLoader(shuffle=True)
        loader = mixed.rows(at: shuffle.map { second[$0] })
        mixed = Matrix(rows: 0, cols: dIn)
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
        if loaderOffset == loader.rows { loader = Matrix(rows: 0, cols: dIn); loaderOffset = 0 }   // served: release it
        return parts.count == 1 ? parts[0] : Self.concatenate(parts, cols: dIn)
    }

    /// The first `n` rows of the storage buffer (SAE-Track's geometric-median sample), not consumed.
    public mutating func initialisationSample(_ n: Int) throws -> Matrix {
        try fillIfNeeded()
        return storage.rows(0..<min(n, storage.rows))
    }

    private struct Header: Codable {
        var halfBufferTokens: Int, seed: UInt64, refills: Int, loaderOffset: Int
        var filled: Bool?
        var producer: ActivationProducerPosition
    }

    /// Store file names inside a trainer-state directory.
    public static var stateFiles: [String] { ["activation_store.json", "activation_store.safetensors"] }

    public func saveState(to directory: URL) throws {
        let rest = loader.rows(loaderOffset..<loader.rows)                          // only what is still to be served
        try SafetensorsWriter.write(["storage": TensorData(storage), "loader": TensorData(rest), "carry": TensorData(carry)],
                                    to: directory.appendingPathComponent("activation_store.safetensors"))
        let header = Header(halfBufferTokens: halfBufferTokens, seed: seed, refills: refills,
                            loaderOffset: 0, filled: filled, producer: producer.position)
        try JSONFile.write(header, to: directory.appendingPathComponent("activation_store.json"))
    }

    public mutating func restoreState(from directory: URL) throws {
        let url = directory.appendingPathComponent("activation_store.json")
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(contentsOf: url)) }
        catch { throw SAETrainingError.badState(url, "not a mixing-store state: \(SystemErrorText.describe(error))") }
        guard header.halfBufferTokens == halfBufferTokens && header.seed == seed else {
            throw SAETrainingError.badState(url, "saved with half buffer \(header.halfBufferTokens) and seed \(header.seed), this store has \(halfBufferTokens) and \(seed)")
        }
        let tensors = directory.appendingPathComponent("activation_store.safetensors")
        let file = try SafetensorsFile(contentsOf: tensors)
        func load(_ name: String) throws -> Matrix {
            let m = try file.matrix(name)
            if m.count == 0 { return Matrix(rows: 0, cols: dIn) }
            guard m.cols == dIn else { throw SAETrainingError.badState(tensors, "`\(name)` has \(m.cols) columns, the producer gives d_in \(dIn)") }
            return m
        }
        storage = try load("storage"); carry = try load("carry")
        let saved = try load("loader")
        loader = saved.rows(min(header.loaderOffset, saved.rows)..<saved.rows)
        loaderOffset = 0
        refills = header.refills
        filled = header.filled ?? true
        try producer.seek(to: header.producer)
    }

    static func concatenate(_ parts: [Matrix], cols: Int) -> Matrix {
        var storage: [Float] = []
        storage.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for p in parts { storage.append(contentsOf: p.storage) }
        return Matrix(rows: storage.count / max(cols, 1), cols: cols, storage: storage)
    }
}
