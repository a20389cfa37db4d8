import Foundation
import Testing
import SAETrackCore
import SAETrackIO
import SAETrackLM
@testable import SAETrackSAE

/// F16 / BF16 activation storage against numpy's and PyTorch's conversions (Tests/Fixtures/store/generate_dtypes.py).
struct ActivationShardTests {
    static let reference: URL = Fixtures.directory.deletingLastPathComponent().appendingPathComponent("store/dtype_reference.safetensors")

    @Test("F16 and BF16 storage write the bytes of numpy's astype(float16) and torch's .to(bfloat16): round to nearest even, ties, subnormals, overflow, NaN")
    func bytesMatchReference() throws {
        let f = try SafetensorsFile(contentsOf: Self.reference)
        let values = try f.floats("values")
        #expect(values.count > 800)
        for (dtype, name) in [(ActivationDType.bf16, "bf16"), (.f16, "f16")] {
            let ours = values.withUnsafeBufferPointer { dtype.encode($0) }
            let theirs = try f.withRawBytes(name) { Data($0) }
            #expect(ours.count == theirs.count)
            let a = [UInt8](ours), b = [UInt8](theirs)
            var bad: [Int] = []
            // NaN: any NaN pattern (torch's vectorised CPU path writes 0xFFFF, its scalar rule and SAETrack 0x7FC0).
            for i in 0..<(min(a.count, b.count) / 2) where !values[i].isNaN && (a[2 * i] != b[2 * i] || a[2 * i + 1] != b[2 * i + 1]) {
                bad.append(i)
            }
            let first: Float = bad.first.map { values[$0] } ?? 0
            #expect(bad.isEmpty, "\(name): \(bad.count) values differ, first \(first)")
            // rounded(_:) is what the stored bytes read back as.
            let back = try f.floats(name)
            #expect(zip(values, back).allSatisfy { dtype.rounded($0).bitPattern == $1.bitPattern || ($1.isNaN && dtype.rounded($0).isNaN) })
        }
    }

    @Test("a shard written as F32, F16 or BF16 reads back within the format's rounding (exactly the rounded values)")
    func roundTrip() throws {
        var rng = SeededRandom(seed: 8)
        var m = Matrix(rows: 50, cols: 7)
        m.withUnsafeMutableBufferPointer { rng.fillNormal($0, mean: 0, std: 3) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (dtype, relative) in [(ActivationDType.f32, Float(0)), (.f16, 0x1p-11), (.bf16, 0x1p-8)] {
            let url = dir.appendingPathComponent("\(dtype.rawValue).safetensors")
            try ActivationShard.write(m, dtype: dtype, metadata: ["hook": "blocks.0.hook_resid_pre"], to: url)
            let back = try ActivationShard.read(url)
            #expect(back.rows == 50 && back.cols == 7)
            #expect(try ActivationShard.dtype(of: url) == dtype.dtype)
            #expect(try SafetensorsFile(contentsOf: url).metadata["dtype"] == dtype.rawValue)
            #expect(zip(m.storage, back.storage).allSatisfy { $1 == dtype.rounded($0) && abs($1 - $0) <= relative * abs($0) })
            let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int
            #expect(size >= 50 * 7 * (dtype == .f32 ? 4 : 2) && size < 50 * 7 * (dtype == .f32 ? 4 : 2) + 400)
        }
        let notShard = dir.appendingPathComponent("other.safetensors")
        try SafetensorsWriter.write(["x": TensorData(m)], to: notShard)
        #expect(throws: SAETrainingError.self) { _ = try ActivationShard.read(notShard) }
    }

    @Test("a BF16 activation cache replays the LM stream rounded to bfloat16")
    func bf16Cache() throws {
        let lm = try fixtureLM()
        let (rows, context) = (4, 16)
        let tokens = fixtureTokens(rows: rows, context: context, vocab: lm.config.vocabSize, bos: 0, seed: 3)
        let hook = try HookPoint(name: "blocks.1.hook_resid_pre")
        let producer = try LMActivationProducer(model: lm, tokens: tokens, rows: rows, context: context, hook: hook,
                                                centered: false, storeBatchRows: 2)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bf16cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cache = try ActivationCache.write(producer, to: dir, shardRows: 32, dtype: .bf16)
        #expect(cache.dtype == .bf16 && cache.shards.count == 2)
        var reader = try ActivationCacheReader(dir)
        var direct = producer
        for _ in 0..<2 {
            let expected = try direct.nextBlock()
            #expect(try reader.nextBlock().storage == expected.storage.map(ActivationDType.bf16.rounded))
        }
        let shard = try SafetensorsFile(contentsOf: dir.appendingPathComponent(cache.shards[0].file))
        #expect(shard.metadata["hook"] == hook.name && shard.metadata["dtype"] == "BF16")
    }
}
