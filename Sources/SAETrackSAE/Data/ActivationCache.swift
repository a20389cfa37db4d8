import Foundation
import SAETrackCore
import SAETrackIO

/// An on-disk activation cache: one LM pass, reused by several SAEs (the chain and its baselines).
///
/// ```
/// <dir>/cache.json                    d_in, rows, hook, centered, include_bos, dtype, shard list
/// <dir>/activations-00000.safetensors `activations` F32/F16/BF16 [n, d_in]   (in producer order)
/// ```
/// Every shard is an ``ActivationShard`` (the format `saetrack activations` writes), stored as
/// `dtype` (`ActivationDType`: F16 and BF16 halve the size and read back rounded to nearest even).
/// ``ActivationCacheReader`` replays it as an ``ActivationProducer`` (so a ``MixingActivationStore``
/// over the cache gives the same stream as over the LM).
public struct ActivationCache: Codable, Sendable {
    public struct Shard: Codable, Sendable { public var file: String; public var rows: Int }
    public var dIn: Int
    public var rows: Int
    public var hook: String
    public var centered: Bool
    public var includeBOS: Bool
    public var shards: [Shard]
    /// Storage of the shards (caches written before F16/BF16 existed are F32).
    public var dtype: ActivationDType

    enum CodingKeys: String, CodingKey {
        case dIn = "d_in", rows, hook, centered, includeBOS = "include_bos", shards, dtype
    }

    public init(dIn: Int, rows: Int, hook: String, centered: Bool, includeBOS: Bool, shards: [Shard], dtype: ActivationDType = .f32) {
        self.dIn = dIn; self.rows = rows; self.hook = hook; self.centered = centered; self.includeBOS = includeBOS
        self.shards = shards; self.dtype = dtype
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dIn = try c.decode(Int.self, forKey: .dIn); rows = try c.decode(Int.self, forKey: .rows)
        hook = try c.decode(String.self, forKey: .hook); centered = try c.decode(Bool.self, forKey: .centered)
        includeBOS = try c.decode(Bool.self, forKey: .includeBOS); shards = try c.decode([Shard].self, forKey: .shards)
        dtype = try c.decodeIfPresent(ActivationDType.self, forKey: .dtype) ?? .f32
    }

    /// Runs one full pass of `producer` over its token rows (one epoch) and writes the shards.
    public static func write(_ producer: LMActivationProducer, to directory: URL, shardRows: Int = 262_144,
                             dtype: ActivationDType = .f32, progress: ((Int) -> Void)? = nil) throws -> ActivationCache {
        var p = producer
        try p.seek(to: ActivationProducerPosition(epoch: 0, offset: 0))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var shards: [Shard] = []
        var pending: [Matrix] = []
        var pendingRows = 0, total = 0
        func flush() throws {
            guard pendingRows > 0 else { return }
            let m = MixingActivationStore<LMActivationProducer>.concatenate(pending, cols: p.dIn)
            let name = String(format: "activations-%05d.safetensors", shards.count)
            try ActivationShard.write(m, dtype: dtype, metadata: ["hook": p.hook.name, "centered": String(p.centered),
                                                                 "include_bos": String(p.includeBOS)],
                                      to: directory.appendingPathComponent(name))
            shards.append(Shard(file: name, rows: m.rows))
            pending = []; pendingRows = 0
        }
        repeat {
            let block = try p.nextBlock()
            pending.append(block); pendingRows += block.rows; total += block.rows
            if pendingRows >= shardRows { try flush() }
            progress?(total)
        } while p.position.epoch == 0
        try flush()
        let cache = ActivationCache(dIn: p.dIn, rows: total, hook: p.hook.name, centered: p.centered,
                                    includeBOS: p.includeBOS, shards: shards, dtype: dtype)
        try JSONFile.write(cache, to: directory.appendingPathComponent("cache.json"))
        return cache
    }

    /// Reads `cache.json` of a cache directory.
    public static func read(_ directory: URL) throws -> ActivationCache {
        let url = directory.appendingPathComponent("cache.json")
        do { return try JSONDecoder().decode(ActivationCache.self, from: Data(contentsOf: url)) }
        catch { throw SAETrainingError.badFile(url, "not an activation cache index: \(error)") }
    }
}

/// Replays an ``ActivationCache`` shard by shard (one block per shard), wrapping around.
public struct ActivationCacheReader: ActivationProducer {
    public let directory: URL
    public let cache: ActivationCache
    private var shard = 0
    private var epoch = 0
    public var dIn: Int { cache.dIn }

    public init(_ directory: URL) throws {
        self.directory = directory
        cache = try ActivationCache.read(directory)
        guard !cache.shards.isEmpty else { throw SAETrainingError.badFile(directory, "activation cache has no shards") }
    }

    public mutating func nextBlock() throws -> Matrix {
        let url = directory.appendingPathComponent(cache.shards[shard].file)
        let m = try ActivationShard.read(url)
        guard m.cols == cache.dIn && m.rows == cache.shards[shard].rows else {
            throw SAETrainingError.badFile(url, "shard is (\(m.rows), \(m.cols)), cache.json says (\(cache.shards[shard].rows), \(cache.dIn))")
        }
        shard += 1
        if shard == cache.shards.count { shard = 0; epoch += 1 }
        return m
    }

    public var position: ActivationProducerPosition { ActivationProducerPosition(epoch: epoch, offset: shard) }

    public mutating func seek(to position: ActivationProducerPosition) throws {
        guard position.offset >= 0 && position.offset < cache.shards.count else {
            throw SAETrainingError.notResumable("shard \(position.offset) is outside the cache's \(cache.shards.count) shards")
        }
        epoch = position.epoch; shard = position.offset
    }
}
