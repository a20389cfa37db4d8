import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackSAE

/// Crosscoder training on snapshots whose ground truth is known: six sparse features in 8
/// dimensions, four present at every snapshot, one that forms (absent at snapshot 0, half at 1,
/// full at 2) and one that fades (the reverse). The trained crosscoder's decoder-norm curves must
/// show which is which.
@Suite struct CrosscoderTrainerTests {
    static let (d, features, tokens) = (8, 6, 3000)
    /// Strength of each feature at each of the three snapshots.
    static let strength: [[Float]] = [[1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1], [0, 0.5, 1], [1, 0.5, 0]]

    static func directions() -> [[Float]] {
        var rng = SeededRandom(seed: 7)
        return (0..<features).map { _ in
            var u = (0..<d).map { _ in rng.normal() }
            let n = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
            u = u.map { $0 / n }
            return u
        }
    }

    static func snapshots() -> [Matrix] {
        var rng = SeededRandom(seed: 11)
        let u = directions()
        var xs = (0..<3).map { _ in Matrix(rows: tokens, cols: d) }
        for t in 0..<tokens {
            for j in 0..<features where rng.uniform() < 0.15 {
                let c = rng.uniform(1, 2)
                for s in 0..<3 { for k in 0..<d { xs[s][t, k] += c * strength[j][s] * u[j][k] } }
            }
        }
        return xs
    }

    static func cosine(_ a: UnsafePointer<Float>, _ b: [Float]) -> Float {
        var dot: Float = 0, na: Float = 0
        for k in 0..<b.count { dot += a[k] * b[k]; na += a[k] * a[k] }
        return dot / max(na.squareRoot(), 1e-12)
    }

    /// The latent whose decoder at `snapshot` points closest to direction `u`.
    static func bestLatent(_ p: CrosscoderParameters, snapshot: Int, _ u: [Float]) -> (latent: Int, cosine: Float) {
        p.values.withUnsafeBufferPointer { v in
            (0..<p.dSAE).map { i in (i, cosine(v.baseAddress! + p.wDecOffset(snapshot) + i * p.dIn, u)) }.max { $0.1 < $1.1 }!
        }
    }

    @Test("formation curves: a forming feature's decoder norm grows over snapshots, a fading one's falls",
          arguments: [CrosscoderSparsity.batchTopK(k: 1), .l1(coefficient: 0.05)])
    func formationCurves(_ sparsity: CrosscoderSparsity) throws {
        var config = CrosscoderTrainingConfig(dSAE: 16, sparsity: sparsity, steps: 2000, batchSize: 128, lr: 1e-2)
        config.logEvery = 50
        var trainer = try Threads.withCount(1) { try CrosscoderTrainer(snapshots: Self.snapshots(), config: config) }
        try Threads.withCount(1) { try trainer.train() }
        let first = trainer.log.first!.terms, last = trainer.log.last!.terms
        #expect(last.loss < 0.5 * first.loss, "training must lower the loss (\(first.loss) → \(last.loss))")
        let eval = try trainer.evaluate(Self.snapshots())
        for s in 0..<3 { #expect(eval.explainedVariancePerSnapshot[s] > 0.8, "snapshot \(s) EV \(eval.explainedVariancePerSnapshot[s])") }
        let curves = trainer.trajectories(steps: [0, 10, 20])
        let u = Self.directions()
        let forming = Self.bestLatent(trainer.parameters, snapshot: 2, u[4])
        let fading = Self.bestLatent(trainer.parameters, snapshot: 0, u[5])
        #expect(forming.cosine > 0.9 && fading.cosine > 0.9, "features found: \(forming), \(fading)")
        let f = curves.norms[forming.latent], g = curves.norms[fading.latent]
        #expect(f[0] < 0.25 * f[2] && f[1] < f[2], "forming feature's curve \(f)")
        #expect(g[2] < 0.25 * g[0] && g[1] < g[0], "fading feature's curve \(g), forming \(f)")
        #expect(curves.peakStep[forming.latent] == 20 && curves.peakStep[fading.latent] == 0)
        #expect(curves.onsetStep[fading.latent] == 0 && curves.onsetStep[forming.latent] > 0)
        // A feature present throughout keeps its norm within a factor 2 across snapshots.
        let steady = Self.bestLatent(trainer.parameters, snapshot: 1, u[0])
        let h = curves.norms[steady.latent]
        #expect(h.max()! < 2 * h.min()!, "steady feature's curve \(h)")
        if case .batchTopK(let k) = sparsity { #expect(eval.l0 <= Float(k) + 1e-4 && eval.l0 > 0.5 * Float(k), "L0 \(eval.l0)") }
    }

    @Test("mean-norm scaling: each snapshot's activations reach mean norm √d_in; b_dec starts at their mean")
    func inputScaling() throws {
        var xs = Self.snapshots()
        xs[1].withUnsafeMutableBufferPointer { for t in $0.indices { $0[t] *= 5 } }
        let config = CrosscoderTrainingConfig(dSAE: 8, sparsity: .batchTopK(k: 2), steps: 1, batchSize: 16, lr: 1e-3)
        let trainer = try CrosscoderTrainer(snapshots: xs, config: config)
        for s in 0..<3 {
            var norm: Double = 0
            for r in 0..<Self.tokens { norm += Double(trainer.data[s].row(r).reduce(0) { $0 + $1 * $1 }.squareRoot()) }
            #expect(abs(norm / Double(Self.tokens) - Double(Self.d).squareRoot()) < 1e-3)
        }
        let plain = try CrosscoderTrainer(snapshots: Self.snapshots(), config: config)
        #expect(abs(trainer.inputScales[1] * 5 - plain.inputScales[1]) < 1e-4 * plain.inputScales[1])
        #expect(abs(trainer.inputScales[0] - plain.inputScales[0]) < 1e-6 * plain.inputScales[0])
        let bDec = trainer.parameters.tensor(.bDec)
        for k in 0..<Self.d {
            let mean = (0..<Self.tokens).reduce(0.0) { $0 + Double(trainer.data[2][$1, k]) } / Double(Self.tokens)
            #expect(abs(Double(bDec[2 * Self.d + k]) - mean) < 1e-5)
        }
    }

    @Test("bad input is refused with a typed error naming the snapshot")
    func refusals() throws {
        let config = CrosscoderTrainingConfig(dSAE: 8, sparsity: .l1(coefficient: 1e-3), steps: 5, batchSize: 16, lr: 1e-3)
        var xs = Self.snapshots()
        #expect(throws: CrosscoderError.self) { try CrosscoderTrainer(snapshots: [xs[0], xs[1].rows(0..<10)], config: config) }
        xs[2][4, 3] = .nan
        do {
            _ = try CrosscoderTrainer(snapshots: xs, config: config, names: ["step 0", "step 10", "step 20"])
            Issue.record("a NaN activation was accepted")
        } catch let CrosscoderError.nonFiniteInput(snapshot, row, value) {
            #expect(snapshot == "step 20" && row == 4 && value.isNaN)
        }
        var bad = config
        bad.sparsity = .batchTopK(k: 9)
        #expect(throws: CrosscoderError.self) { try CrosscoderTrainer(snapshots: Self.snapshots(), config: bad) }
        // A learning rate far too large makes the loss explode: stopped with the step named.
        var wild = CrosscoderTrainingConfig(dSAE: 8, sparsity: .l1(coefficient: 0), steps: 200, batchSize: 16, lr: 1e4)
        wild.logEvery = 1
        var t = try CrosscoderTrainer(snapshots: Self.snapshots(), config: wild)
        do { try t.train(); Issue.record("lr 1e4 trained without diverging") } catch let CrosscoderError.diverged(step, _) {
            #expect(step > 1 && step <= 200)
            #expect(!t.parameters.values.contains { !$0.isFinite })
        }
    }

    @Test("a written crosscoder reads back exactly and encodes as the trainer does; a damaged file is refused by name")
    func filesRoundTrip() throws {
        var config = CrosscoderTrainingConfig(dSAE: 16, sparsity: .batchTopK(k: 2), steps: 20, batchSize: 128, lr: 1e-2)
        config.logEvery = 10
        let data = Self.snapshots()
        var trainer = try Threads.withCount(1) { try CrosscoderTrainer(snapshots: data, config: config) }
        try Threads.withCount(1) { try trainer.train() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crosscoder-files-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let evaluation = CrosscoderEvaluation(terms: try trainer.evaluate(data), steps: [0, 10, 20], inputScales: trainer.inputScales,
                                              tokens: data[0].rows)
        try CrosscoderFiles.write(trainer, steps: [0, 10, 20], evaluation: evaluation, record: ["note": "test"], to: dir)
        let saved = try CrosscoderFiles.read(from: dir)
        #expect(saved.parameters == trainer.parameters && saved.inputScales == trainer.inputScales && saved.steps == [0, 10, 20])
        #expect(saved.config == config)
        let held = Array(data.map { $0.rows(0..<300) })
        #expect(try saved.codes(held) == trainer.codes(held))
        // A W_dec of the wrong shape, and a stray tensor, are refused naming the file and the tensor.
        let file = dir.appendingPathComponent(CrosscoderFiles.weightsFile)
        let p = trainer.parameters
        var tensors: [String: TensorData] = [:]
        for t in CrosscoderTensor.allCases { tensors[t.rawValue] = TensorData(shape: p.shape(t), floats: p.tensor(t)) }
        tensors["input_scale"] = TensorData(shape: [3], floats: trainer.inputScales)
        tensors["steps"] = TensorData(shape: [3], int32s: [0, 10, 20])
        var bad = tensors
        bad["W_dec"] = TensorData(shape: [3, 8, 16], floats: p.tensor(.wDec))
        try SafetensorsWriter.write(bad, metadata: ["crosscoder_config": "{}"], to: file)
        #expect { try CrosscoderFiles.read(from: dir) } throws: { "\($0)".contains(file.path) && "\($0)".contains("W_dec has shape [3, 8, 16]") }
        bad = tensors
        bad["extra"] = TensorData(shape: [1], floats: [0])
        try SafetensorsWriter.write(bad, metadata: [:], to: file)
        #expect { try CrosscoderFiles.read(from: dir) } throws: { "\($0)".contains("unexpected tensor 'extra'") }
        try SafetensorsWriter.write(tensors, metadata: [:], to: file)
        #expect { try CrosscoderFiles.read(from: dir) } throws: { "\($0)".contains("no crosscoder_config") }
    }

    @Test("a run saved part-way and resumed ends with the same parameters and log as one run; other settings are refused", arguments: [CrosscoderSparsity.batchTopK(k: 2), .l1(coefficient: 0.05)])
    func resume(_ sparsity: CrosscoderSparsity) throws {
        var config = CrosscoderTrainingConfig(dSAE: 16, sparsity: sparsity, steps: 60, batchSize: 1000, lr: 1e-2)
        config.logEvery = 7; config.warmupSteps = 10; config.l1WarmupSteps = 5
        let data = Self.snapshots()                                          // 3000 tokens: epochs of 3 batches, so a resume lands mid-epoch
        var whole = try Threads.withCount(1) { try CrosscoderTrainer(snapshots: data, config: config) }
        try Threads.withCount(1) { try whole.train() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crosscoder-state-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var first = try Threads.withCount(1) { try CrosscoderTrainer(snapshots: data, config: config) }
        try Threads.withCount(1) { try first.train(untilStep: 25) }
        try first.saveState(to: dir)
        #expect(CrosscoderTrainer.hasState(in: dir))
        var resumed = try CrosscoderTrainer(resumingFrom: dir, snapshots: data, config: config)
        #expect(resumed.step == 25)
        try Threads.withCount(1) { try resumed.train() }
        #expect(resumed.parameters == whole.parameters, "resumed parameters differ from the uninterrupted run's")
        #expect(resumed.log.map(\.step) == whole.log.map(\.step) && resumed.log.map(\.terms) == whole.log.map(\.terms))
        var other = config
        other.lr = 2e-2
        #expect { try CrosscoderTrainer(resumingFrom: dir, snapshots: data, config: other) } throws: { "\($0)".contains("other training settings") }
        #expect { try CrosscoderTrainer(resumingFrom: dir, snapshots: Array(data.prefix(2)), config: config) } throws: { "\($0)".contains("saved for 3 snapshots") }
    }
}
