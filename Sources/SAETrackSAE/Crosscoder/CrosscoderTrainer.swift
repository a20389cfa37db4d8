import Foundation
import SAETrackCore
import SAETrackIO

/// One logged crosscoder training step.
public struct CrosscoderLogEntry: Sendable, Equatable, Codable {
    /// 1-based count of Adam steps taken when this entry was logged.
    public var step: Int
    public var lr: Float
    /// Loss terms of the step's batch, before its update.
    public var terms: CrosscoderLossTerms
    public var elapsedSeconds: Double

    enum CodingKeys: String, CodingKey { case step, lr, terms, elapsedSeconds = "elapsed_seconds" }

    /// CSV header matching ``csvRow`` for S snapshots.
    public static func csvHeader(snapshots: Int) -> String {
        (["step", "lr", "loss", "mse", "sparsity", "l0"] + (0..<snapshots).map { "mse_s\($0)" }
         + (0..<snapshots).map { "explained_variance_s\($0)" } + ["elapsed_seconds"]).joined(separator: ",")
    }

    /// One CSV line.
    public var csvRow: String {
        let t = terms
        return (["\(step)", "\(lr)", "\(t.loss)", "\(t.mse)", "\(t.sparsity)", "\(t.l0)"] + t.msePerSnapshot.map { "\($0)" }
                + t.explainedVariancePerSnapshot.map { "\($0)" } + ["\(elapsedSeconds)"]).joined(separator: ",")
    }
}

/// Trains a cross-snapshot crosscoder (``CrosscoderObjective``) on the activations of the same
/// tokens at S snapshots, with the project's `Adam` (torch's arithmetic) over the flat parameter
/// vector.
///
/// Batches are drawn without replacement from a seeded permutation of the token rows (a new one
/// each epoch); the same rows are taken from every snapshot. All S activation matrices are held
/// in memory together: S · N · d_in · 4 bytes, the crosscoder's memory cost (Docs/Method.md §5.7).
///
/// ```swift
/// var trainer = try CrosscoderTrainer(snapshots: [x0, x1, x2], config: config)
/// try trainer.train { entry in print(entry.step, entry.terms.loss) }
/// let curves = trainer.trajectories(steps: [0, 100, 200])
/// ```
public struct CrosscoderTrainer {
    public let config: CrosscoderTrainingConfig
    /// The training activations after ``CrosscoderTrainingConfig/inputScaling``.
    public private(set) var data: [Matrix]
    /// The factor each snapshot's activations were multiplied by (1 with `.none`).
    public let inputScales: [Float]
    public private(set) var parameters: CrosscoderParameters
    /// Steps taken.
    public private(set) var step = 0
    public private(set) var log: [CrosscoderLogEntry] = []
    private var adam: Adam
    private var m: [Float], v: [Float]
    private var gradients: [Float]
    private var rng: SeededRandom
    private var order: [Int] = []
    private var cursor = 0
    private let workspace = CrosscoderObjective.Workspace()
    private var elapsed: Double = 0

    /// A fresh crosscoder for `snapshots` (one (N, d_in) matrix per snapshot, row r the same token
    /// in each). `b_dec[s]` starts at the mean of snapshot s's (scaled) activations.
    /// - Throws: ``CrosscoderError`` for bad settings, disagreeing shapes or non-finite inputs
    ///   (`names` label the snapshots in messages).
    public init(snapshots: [Matrix], config: CrosscoderTrainingConfig, names: [String]? = nil) throws {
        let problems = config.problems()
        guard problems.isEmpty else { throw CrosscoderError.invalidConfig(problems) }
        guard let first = snapshots.first else { throw CrosscoderError.shapeMismatch("no snapshots given") }
        let labels = names ?? snapshots.indices.map { "snapshot \($0)" }
        for (s, x) in snapshots.enumerated() where x.rows != first.rows || x.cols != first.cols {
            throw CrosscoderError.shapeMismatch("\(labels[s]) has activations (\(x.rows), \(x.cols)); \(labels[0]) has (\(first.rows), \(first.cols)): every snapshot must see the same tokens at a hook of the same width")
        }
        guard first.rows > 0, first.cols > 0 else { throw CrosscoderError.shapeMismatch("\(labels[0]) has no activations") }
        for (s, x) in snapshots.enumerated() {
            if let bad = NonFiniteValues.find(in: x.storage) {
                throw CrosscoderError.nonFiniteInput(snapshot: labels[s], row: bad.first / x.cols, value: bad.value)
            }
        }
        self.config = config
        let (d, S) = (first.cols, snapshots.count)
        var scaled = snapshots
        var scales = [Float](repeating: 1, count: S)
        if config.inputScaling == .meanNorm {
            for s in 0..<S {
                let meanNorm = scaled[s].withUnsafeBufferPointer { x -> Double in
                    var acc: Double = 0
                    for r in 0..<first.rows { acc += Double(BLAS.nrm2(n: d, x: x.baseAddress! + r * d)) }
                    return acc / Double(first.rows)
                }
                guard meanNorm > 0 else { throw CrosscoderError.shapeMismatch("\(labels[s]): every activation is zero, so it cannot be scaled to mean norm √d_in") }
                scales[s] = Float(Double(d).squareRoot() / meanNorm)
                let c = scales[s]
                scaled[s].withUnsafeMutableBufferPointer { BLAS.scal(n: $0.count, alpha: c, x: $0.baseAddress!) }
            }
        }
        data = scaled
        inputScales = scales
        var p = CrosscoderParameters.initialised(snapshots: S, dIn: d, dSAE: config.dSAE, decoderNorm: config.decoderInitNorm, seed: config.seed)
        let bDecOffsets = (0..<S).map(p.bDecOffset)
        p.values.withUnsafeMutableBufferPointer { vb in
            for s in 0..<S {
                let b = vb.baseAddress! + bDecOffsets[s]
                scaled[s].withUnsafeBufferPointer { x in
                    var mean = [Double](repeating: 0, count: d)
                    for r in 0..<first.rows { for j in 0..<d { mean[j] += Double(x[r * d + j]) } }
                    for j in 0..<d { b[j] = Float(mean[j] / Double(first.rows)) }
                }
            }
        }
        parameters = p
        adam = Adam(dIn: 0, dSAE: 0, beta1: config.beta1, beta2: config.beta2)     // used for its flat-vector update only
        m = [Float](repeating: 0, count: p.values.count); v = m; gradients = m
        rng = SeededRandom(seed: config.seed &+ 1)
    }

    /// What ``saveState(to:)`` writes.
    var resumable: (state: CrosscoderTrainerState, m: [Float], v: [Float], order: [Int]) {
        (CrosscoderTrainerState(config: config, snapshots: data.count, dIn: data[0].cols, rows: data[0].rows, step: step,
                                adamStep: adam.step, rng: rng.state, cursor: cursor, elapsedSeconds: elapsed, log: log), m, v, order)
    }

    /// Puts a saved run's state in place (``init(resumingFrom:snapshots:config:names:)``).
    mutating func restore(parameters values: [Float], m: [Float], v: [Float], state: CrosscoderTrainerState, order: [Int]) {
        parameters.values = values
        self.m = m; self.v = v
        step = state.step; adam.step = state.adamStep
        rng = SeededRandom(state: state.rng)
        self.order = order; cursor = state.cursor
        elapsed = state.elapsedSeconds; log = state.log
    }

    /// The next batch's row indices (the same rows for every snapshot).
    private mutating func nextRows() -> [Int] {
        let n = data[0].rows, B = config.batchSize
        var rows: [Int] = []
        rows.reserveCapacity(B)
        while rows.count < B {
            if cursor >= order.count { order = rng.permutation(n); cursor = 0 }
            let take = min(B - rows.count, order.count - cursor)
            rows += order[cursor..<(cursor + take)]
            cursor += take
        }
        return rows
    }

    /// Trains until ``step`` reaches `untilStep` (default: the configured steps), calling `onLog`
    /// with every logged entry.
    /// - Throws: ``CrosscoderError/diverged(step:reason:)`` when a loss or a gradient is not
    ///   finite, or the loss exceeds `explosionFactor` × the first step's loss; the parameters are
    ///   then those of the step before (the failing step is not applied).
    public mutating func train(untilStep: Int? = nil, explosionFactor: Float = 1000,
                               onLog: (CrosscoderLogEntry) -> Void = { _ in }) throws {
        let end = min(untilStep ?? config.steps, config.steps)
        while step < end {
            let start = Date()
            let rows = nextRows()
            let batch = data.map { $0.rows(at: rows) }
            let t = step + 1
            let terms = gradients.withUnsafeMutableBufferPointer { g in
                CrosscoderObjective.evaluate(parameters, inputs: batch, sparsity: config.sparsity(step: t),
                                             gradients: g.baseAddress!, workspace: workspace)
            }
            if !terms.loss.isFinite { throw CrosscoderError.diverged(step: t, reason: "loss is \(terms.loss)") }
            if let ref = log.first?.terms.loss, ref > 0, terms.loss > explosionFactor * ref {
                throw CrosscoderError.diverged(step: t, reason: String(format: "loss %.4g exploded (%.0f× the first step's %.4g)",
                                                                       terms.loss, terms.loss / ref, ref))
            }
            // A finite gradient moves each parameter by at most about lr (Adam), so checking the
            // gradient before the update keeps the parameters finite without a copy of them.
            if let bad = NonFiniteValues.find(in: gradients) {
                throw CrosscoderError.diverged(step: t, reason: "\(bad.count) gradient entries are not finite (first \(bad.value))")
            }
            let lr = config.learningRate(step: t)
            adam.step += 1
            adam.update(vector: &parameters.values, gradient: gradients, m: &m, v: &v, lr: lr)
            step = t
            elapsed += Date().timeIntervalSince(start)
            if t == 1 || t % config.logEvery == 0 || t == config.steps {
                let e = CrosscoderLogEntry(step: t, lr: lr, terms: terms, elapsedSeconds: elapsed)
                log.append(e)
                onLog(e)
            }
        }
    }

    /// Loss terms of held-out activations (one (N, d_in) matrix per snapshot, unscaled: the
    /// training scales are applied), in batches of the training batch size (BatchTopK selects per
    /// batch); MSE and explained variance are pooled over all N tokens.
    public func evaluate(_ snapshots: [Matrix]) throws -> CrosscoderLossTerms {
        try Self.evaluate(parameters, snapshots, scales: inputScales, sparsity: config.sparsity, batchSize: config.batchSize)
    }

    /// ``evaluate(_:)`` for any crosscoder parameters.
    public static func evaluate(_ p: CrosscoderParameters, _ snapshots: [Matrix], scales: [Float], sparsity: CrosscoderSparsity,
                                batchSize: Int) throws -> CrosscoderLossTerms {
        guard snapshots.count == p.snapshots, let n = snapshots.first?.rows, n > 0,
              snapshots.allSatisfy({ $0.rows == n && $0.cols == p.dIn }) else {
            throw CrosscoderError.shapeMismatch("evaluation needs \(p.snapshots) matrices of the same (N > 0, \(p.dIn)) shape")
        }
        let S = p.snapshots, d = p.dIn
        let scaled = scale(snapshots, by: scales)
        var se = [Double](repeating: 0, count: S), centred = [Double](repeating: 0, count: S)
        for s in 0..<S {
            scaled[s].withUnsafeBufferPointer { x in
                var mean = [Double](repeating: 0, count: d)
                for r in 0..<n { for j in 0..<d { mean[j] += Double(x[r * d + j]) } }
                for j in 0..<d { mean[j] /= Double(n) }
                for r in 0..<n { for j in 0..<d { let c = Double(x[r * d + j]) - mean[j]; centred[s] += c * c } }
            }
        }
        var active: Double = 0, sparse: Double = 0
        let workspace = CrosscoderObjective.Workspace()
        var start = 0
        while start < n {
            let end = min(n, start + batchSize)
            let t = CrosscoderObjective.evaluate(p, inputs: scaled.map { $0.rows(start..<end) }, sparsity: sparsity, workspace: workspace)
            let b = Double(end - start)
            for s in 0..<S { se[s] += Double(t.msePerSnapshot[s]) * b }
            active += Double(t.l0) * b; sparse += Double(t.sparsity) * b
            start = end
        }
        let msePer = se.map { Float($0 / Double(n)) }
        let evPer = (0..<S).map { Float(1 - se[$0] / max(centred[$0], Double(Float.leastNonzeroMagnitude))) }
        let mse = msePer.reduce(0, +)
        return CrosscoderLossTerms(loss: mse + Float(sparse / Double(n)), mse: mse, sparsity: Float(sparse / Double(n)),
                                   l0: Float(active / Double(n)), msePerSnapshot: msePer, explainedVariancePerSnapshot: evPer)
    }

    /// The shared code of held-out activations (one (N, d_in) matrix per snapshot, unscaled: the
    /// training scales are applied), in batches of the training batch size as ``evaluate(_:)``.
    public func codes(_ snapshots: [Matrix]) throws -> SparseRows {
        try Self.codes(parameters, snapshots, scales: inputScales, sparsity: config.sparsity, batchSize: config.batchSize)
    }

    /// ``codes(_:)`` for any crosscoder parameters: (N, d_sae), only the non-zero latents of each token.
    public static func codes(_ p: CrosscoderParameters, _ snapshots: [Matrix], scales: [Float], sparsity: CrosscoderSparsity,
                             batchSize: Int) throws -> SparseRows {
        guard snapshots.count == p.snapshots, scales.count == p.snapshots, let n = snapshots.first?.rows, n > 0,
              snapshots.allSatisfy({ $0.rows == n && $0.cols == p.dIn }) else {
            throw CrosscoderError.shapeMismatch("encoding needs \(p.snapshots) matrices of the same (N > 0, \(p.dIn)) shape and \(p.snapshots) scales")
        }
        let scaled = scale(snapshots, by: scales)
        let workspace = CrosscoderObjective.Workspace()
        var rowStart = [0], index: [Int32] = [], value: [Float] = []
        var start = 0
        while start < n {
            let end = min(n, start + max(1, batchSize))
            let f = CrosscoderObjective.codes(p, inputs: scaled.map { $0.rows(start..<end) }, sparsity: sparsity, workspace: workspace)
            f.withUnsafeBufferPointer { fb in
                for b in 0..<(end - start) {
                    for i in 0..<p.dSAE where fb[b * p.dSAE + i] > 0 { index.append(Int32(i)); value.append(fb[b * p.dSAE + i]) }
                    rowStart.append(index.count)
                }
            }
            start = end
        }
        return SparseRows(rows: n, cols: p.dSAE, rowStart: rowStart, index: index, value: value)
    }

    /// Each snapshot's activations multiplied by its scale (a copy; scale 1 leaves it as it is).
    private static func scale(_ snapshots: [Matrix], by scales: [Float]) -> [Matrix] {
        snapshots.enumerated().map { s, x -> Matrix in
            var y = x
            if scales[s] != 1 { y.withUnsafeMutableBufferPointer { BLAS.scal(n: $0.count, alpha: scales[s], x: $0.baseAddress!) } }
            return y
        }
    }

    /// The trained crosscoder's formation curves, labelled with the snapshots' training steps.
    public func trajectories(steps: [Int]) -> CrosscoderTrajectories {
        CrosscoderTrajectories(parameters: parameters, steps: steps)
    }
}
