import Foundation
import SAETrackCore
import SAETrackIO

/// An on-disk activation cache: one LM pass, reused by several SAEs (the chain and its baselines).
///
/// ```
/// <dir>/cache.json                    d_in, rows, hook, centered, include_bos, shard list
/// <dir>/activations-00000.safetensors `activations` F32 [n, d_in]   (in producer order)
/// ```
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

    enum CodingKeys: String, CodingKey {
        case dIn = "d_in", rows, hook, centered, includeBOS = "include_bos", shards
    }

    /// Runs one full pass of `producer` over its token rows (one epoch) and writes the shards.
    public static func write(_ producer: LMActivationProducer, to directory: URL, shardRows: Int = 262_144,
                             progress: ((Int) -> Void)? = nil) throws -> ActivationCache {
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
            try SafetensorsWriter.write(["activations": TensorData(m)], to: directory.appendingPathComponent(name))
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
                                    includeBOS: p.includeBOS, shards: shards)
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
        let m = try SafetensorsFile(contentsOf: url).matrix("activations")
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
