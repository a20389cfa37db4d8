import SAETrackCore
import SAETrackSAE

/// Which features fire on the evaluation tokens.
///
/// ```
/// count_i = #{t : f_i(x_t) > 0}      dead_i = (count_i == 0)      frequency_i = count_i / N
/// ```
///
/// A dead feature is reported as dead by every metric in this module: it gets no drift value,
/// no progress curve, no AUROC candidate, instead of a meaningless number.
public struct FeatureFiring: Codable, Equatable, Sendable {
    /// Number of evaluation tokens N.
    public var tokens: Int
    /// Tokens on which each feature fired (activation > 0), d_sae of them.
    public var counts: [Int]

    /// d_sae flags, true where the feature never fired.
    public var dead: [Bool] { counts.map { $0 == 0 } }
    /// d_sae flags, true where the feature fired at least once.
    public var alive: [Bool] { counts.map { $0 > 0 } }
    /// Indices of the dead features, increasing.
    public var deadFeatures: [Int] { counts.indices.filter { counts[$0] == 0 } }
    /// Fraction of features that never fired.
    public var deadFraction: Double { counts.isEmpty ? 0 : Double(counts.filter { $0 == 0 }.count) / Double(counts.count) }
    /// Firing frequency count_i / N per feature.
    public var frequencies: [Double] { counts.map { tokens == 0 ? 0 : Double($0) / Double(tokens) } }

    /// Firing counts from sparse codes.
    public init(_ codes: SparseRows) {
        tokens = codes.rows
        var c = [Int](repeating: 0, count: codes.cols)
        for (j, v) in zip(codes.index, codes.value) where v > 0 { c[Int(j)] += 1 }
        counts = c
    }

    /// Firing counts from a dense code matrix (N, d_sae).
    public init(codes: Matrix) {
        self.init(SparseRows(dense: codes))
    }

    /// Firing counts of `sae` on `activations` (N, d_in), encoded in batches.
    public init(sae: SparseAutoencoder, activations: Matrix, batchRows: Int = 1024) {
        self.init(sae.encode(activations, chunkRows: batchRows))
    }
}
