import Foundation
import Testing
import SAETrackCore
import SAETrackLM
import SAETrackIO
@testable import SAETrackSAE

/// The tiny GPT-2 of the LM fixtures (Tests/Fixtures/lm, written by the lmfwd generator).
func fixtureLM() throws -> TransformerLM {
    try TransformerLM(directory: Fixtures.directory.deletingLastPathComponent().appendingPathComponent("lm/gpt2_tied"))
}

func fixtureTokens(rows: Int, context: Int, vocab: Int, bos: Int32, seed: UInt64) -> [Int32] {
    var rng = SeededRandom(seed: seed)
    var t = (0..<(rows * context)).map { _ in Int32(1 + rng.int(below: vocab - 1)) }
    for r in 0..<rows { t[r * context] = bos }                                   // BOS at each row start
    return t
}

struct ActivationStoreTests {
    func rowsAsSet(_ m: Matrix) -> [[Float]] { (0..<m.rows).map { m.row($0) }.sorted { $0.lexicographicallyPrecedes($1) } }

    @Test("half-buffer mixing (Docs/Method.md §2.4): a refill serves exactly the rows of storage ∪ new half not kept as storage")
    func mixingConservesRows() throws {
        var x = Matrix(rows: 300, cols: 3)
        for r in 0..<300 { x[r, 0] = Float(r) }
        var store = try MixingActivationStore(producer: MatrixActivationProducer(x, blockRows: 7), halfBufferTokens: 50, seed: 3)
        #expect(store.storage.rows == 0)                                               // filled at the first use
        let initial = try store.initialisationSample(100)
        #expect(rowsAsSet(initial) == rowsAsSet(x.rows(0..<50)) && initial == store.storage)   // the storage, not consumed
        let served = try store.nextBatch(50)                                         // the whole first loader
        let union = MixingActivationStore<MatrixActivationProducer>.concatenate([served, store.storage], cols: 3)
        #expect(rowsAsSet(union) == rowsAsSet(x.rows(0..<100)))
        #expect(store.refills == 1)
        #expect(served.row(0) != x.row(50))                                          // shuffled
    }

    @Test("the mixing store serves the batches of a transcription of the paper's ActivationsStore (Tests/Fixtures/store)")
    func mixingMatchesPaperStore() throws {
        let f = try SafetensorsFile(contentsOf: Fixtures.directory.deletingLastPathComponent().appendingPathComponent("store/store_reference.safetensors"))
        func meta(_ k: String) -> Int { Int(f.metadata[k] ?? "") ?? -1 }
        let (half, block, batch, k, d) = (meta("half"), meta("block"), meta("batch"), meta("batches"), meta("d"))
        let stream = try f.matrix("stream")
        var store = try MixingActivationStore(producer: MatrixActivationProducer(stream, blockRows: block),
                                              halfBufferTokens: half, seed: UInt64(meta("seed")))
        #expect(try store.initialisationSample(half) == f.matrix("storage"))
        let batches = try f.floats("batches")                                        // (K, B, d)
        #expect(batches.count == k * batch * d)
        for i in 0..<k {
            let expected = Matrix(rows: batch, cols: d, storage: Array(batches[(i * batch * d)..<((i + 1) * batch * d)]))
            #expect(try store.nextBatch(batch) == expected, "batch \(i)")
        }
        #expect(store.storage == (try f.matrix("storage_after")))
    }

    @Test("the mixing store's memory is bounded by its buffer, not by the tokens streamed through it")
    func mixingMemoryBound() throws {
        var x = Matrix(rows: 1000, cols: 2)
        for r in 0..<1000 { x[r, 0] = Float(r) }
        let (half, block) = (40, 6)
        for tokens in [100, 1_000, 10_000] {
            var store = try MixingActivationStore(producer: MatrixActivationProducer(x, blockRows: block), halfBufferTokens: half, seed: 1)
            var served = 0, peak = 0
            while served < tokens {
                _ = try store.nextBatch(16); served += 16
                peak = max(peak, store.heldRows)
            }
            #expect(peak <= 2 * half + block, "held \(peak) rows after streaming \(tokens)")
            #expect(store.storage.rows == half)
        }
    }

    @Test("the mixing store is seeded and resumes exactly from a saved state")
    func mixingResume() throws {
        var x = Matrix(rows: 500, cols: 4)
        for r in 0..<500 { for j in 0..<4 { x[r, j] = Float(r * 4 + j) } }
        var a = try MixingActivationStore(producer: MatrixActivationProducer(x, blockRows: 13), halfBufferTokens: 64, seed: 9)
        var b = try MixingActivationStore(producer: MatrixActivationProducer(x, blockRows: 13), halfBufferTokens: 64, seed: 9)
        for _ in 0..<5 { _ = try a.nextBatch(24); _ = try b.nextBatch(24) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try a.saveState(to: dir)
        var c = try MixingActivationStore(producer: MatrixActivationProducer(x, blockRows: 13), halfBufferTokens: 64, seed: 9)
        try c.restoreState(from: dir)
        for _ in 0..<20 {
            let expected = try b.nextBatch(24)
            #expect(try c.nextBatch(24) == expected)
        }
    }

    @Test("LM producer gives the hook activations of its token rows, BOS positions dropped on request; the disk cache replays the same stream")
    func lmProducerAndCache() throws {
        let lm = try fixtureLM()
        let (rows, context) = (6, 16)
        let tokens = fixtureTokens(rows: rows, context: context, vocab: lm.config.vocabSize, bos: 0, seed: 1)
        let hook = try HookPoint(name: "blocks.1.hook_resid_pre")
        var keep = try LMActivationProducer(model: lm, tokens: tokens, rows: rows, context: context, hook: hook,
                                            centered: true, includeBOS: true, storeBatchRows: 4)
        let first = try keep.nextBlock()
        let direct = lm.activations(tokens: Array(tokens[0..<(4 * context)]), rows: 4, context: context, at: hook, centered: true)
        #expect(first == direct)
        var drop = try LMActivationProducer(model: lm, tokens: tokens, rows: rows, context: context, hook: hook,
                                            centered: true, includeBOS: false, bosTokenID: 0, storeBatchRows: 4)
        let firstNoBOS = try drop.nextBlock()
        #expect(firstNoBOS.rows == 4 * (context - 1))
        #expect(firstNoBOS.row(0) == direct.row(1))

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let producer = try LMActivationProducer(model: lm, tokens: tokens, rows: rows, context: context, hook: hook,
                                                centered: true, storeBatchRows: 4)
        let cache = try ActivationCache.write(producer, to: dir, shardRows: 40)
        #expect(cache.rows == rows * context && cache.shards.count > 1)
        var fromLM = try MixingActivationStore(producer: producer, halfBufferTokens: 48, seed: 2)
        var fromCache = try MixingActivationStore(producer: try ActivationCacheReader(dir), halfBufferTokens: 48, seed: 2)
        for _ in 0..<8 {
            let expected = try fromLM.nextBatch(20)
            #expect(try fromCache.nextBatch(20) == expected)
        }
    }

    @Test("CE loss recovered: an exactly reconstructing SAE scores 1 and matches the clean loss; zero ablation hurts")
    func ceLossRecovered() throws {
        let lm = try fixtureLM()
        let d = lm.dModel
        var wEnc = Matrix(rows: d, cols: 2 * d), wDec = Matrix(rows: 2 * d, cols: d)
        for j in 0..<d { wEnc[j, j] = 1; wEnc[j, d + j] = -1; wDec[j, j] = 1; wDec[d + j, j] = -1 }   // ReLU(x) − ReLU(−x) = x
        let identity = SparseAutoencoder(wEnc: wEnc, bEnc: [Float](repeating: 0, count: 2 * d), wDec: wDec,
                                         bDec: [Float](repeating: 0, count: d))
        let tokens = fixtureTokens(rows: 3, context: 16, vocab: lm.config.vocabSize, bos: 0, seed: 4)
        let ce = CELossRecovered.measure(identity, model: lm, tokens: tokens, rows: 3, context: 16,
                                         hook: try HookPoint(name: "blocks.1.hook_resid_pre"), centered: false)
        #expect(abs(ce.reconstructionLoss - ce.cleanLoss) <= 1e-4)
        #expect(abs(ce.score - 1) <= 1e-3)
        #expect(ce.zeroAblationLoss != ce.cleanLoss)                           // ablation changes the loss
    }
}

struct FileOrderActivationsTests {
    @Test("unshuffled in-memory activations give batch i = rows i·n ..< (i+1)·n, wrapping; the b_dec sample is the first rows, not consumed; the position resumes")
    func fileOrder() throws {
        let x = Matrix(rows: 10, cols: 2, storage: (0..<20).map(Float.init))
        var s = InMemoryActivations(x, seed: 3, shuffled: false)
        #expect(try s.initialisationSample(4) == x.rows(0..<4))
        #expect(try s.nextBatch(4) == x.rows(0..<4))
        #expect(try s.nextBatch(4) == x.rows(4..<8))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fileorder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try s.saveState(to: dir)
        let wrapped = try s.nextBatch(4)
        #expect(Array(wrapped.storage[0..<4]) == Array(x.storage[16..<20]) && Array(wrapped.storage[4..<8]) == Array(x.storage[0..<4]))
        var resumed = InMemoryActivations(x, seed: 3, shuffled: false)
        try resumed.restoreState(from: dir)
        #expect(try resumed.nextBatch(4) == wrapped)
        var shuffledSource = InMemoryActivations(x, seed: 3)
        #expect(throws: SAETrainingError.self) { try shuffledSource.restoreState(from: dir) }   // a different stream
    }
}
