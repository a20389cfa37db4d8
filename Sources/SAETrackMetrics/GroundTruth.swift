import SAETrackCore
import SAETrackSAE

/// A planted ground-truth feature of the synthetic corpus: a per-token label mask aligned with the
/// evaluation tokens (row-major `rows · context`).
public struct PlantedLabel: Sendable {
    /// The feature's name (e.g. "sports words").
    public var name: String
    /// true where the token carries the label.
    public var mask: [Bool]

    public init(name: String, mask: [Bool]) {
        self.name = name
        self.mask = mask
    }

    /// From a U8 mask as stored in labels.safetensors (non-zero = labelled).
    public init(name: String, mask: [UInt8]) {
        self.init(name: name, mask: mask.map { $0 != 0 })
    }
}

/// The best SAE feature for one planted label at one checkpoint.
public struct LabelMatch: Codable, Equatable, Sendable {
    /// The planted label's name.
    public var label: String
    /// Labelled tokens among the evaluation tokens.
    public var positives: Int
    /// The live feature with the highest AUROC (lowest index on ties); `nil` if none is defined.
    public var bestFeature: Int?
    /// Its AUROC.
    public var auroc: Double?
}

/// Ground-truth matching at one checkpoint.
public struct GroundTruthCheckpoint: Codable, Equatable, Sendable {
    public var step: Int
    /// One entry per planted label, in the order given.
    public var labels: [LabelMatch]
}

/// When a planted label's best feature formed.
public struct LabelFormation: Codable, Equatable, Sendable {
    public var label: String
    /// The AUROC threshold used.
    public var threshold: Double
    /// First checkpoint step from which the best AUROC is ≥ threshold at every later checkpoint
    /// (`nil`: never formed for good).
    public var formedAtStep: Int?
    /// Best AUROC at every checkpoint (`nil` where undefined).
    public var aurocCurve: [Double?]
}

/// Ground-truth evaluation on the synthetic corpus (Docs/Demo.md): for each planted label, the
/// best single SAE feature at every checkpoint and when the label's feature formed.
///
/// ```
/// AUROC_i(label) = AUROC(scores = f_i(x_t), labels = mask_t)     over the N evaluation tokens
/// best(label)    = argmax_{live i} AUROC_i(label)                 (lowest i on ties)
/// formed(label)  = first checkpoint c with best AUROC ≥ θ at c and at every later checkpoint
/// ```
///
/// AUROC is the midrank statistic of ``AUROC``. Codes are sparse and non-negative, so each
/// feature's N scores are its nnz positive activations plus N − nnz zeros; the zeros form one tie
/// group at the bottom (midrank (z+1)/2) and only the nnz positives are sorted: O(nnz log nnz) per
/// feature instead of O(N log N). Dead features (never fire: AUROC exactly 0.5 by ties) are not
/// candidates. Labels with no positive or no negative token have no AUROC. Code values that are
/// not > 0 (NaN from a diverged SAE) are treated as zeros.
public enum GroundTruth {
    /// Default formation threshold θ on the AUROC.
    public static let defaultThreshold = 0.85

    /// AUROC of every feature for every label.
    /// - Parameters:
    ///   - codes: (N, d_sae) sparse non-negative codes of the evaluation tokens
    ///   - labels: masks of N tokens each
    /// - Returns: `[label][feature]` AUROC (`nil` where undefined).
    public static func aurocs(codes: SparseRows, labels: [PlantedLabel]) -> [[Double?]] {
        let n = codes.rows, width = codes.cols
        for l in labels {
            precondition(l.mask.count == n, "GroundTruth: label \(l.name) has \(l.mask.count) tokens, codes have \(n)")
        }
        // Transpose the non-zeros to per-feature lists (CSC): columnStart, (token, value).
        // Values that are not > 0 (negative or NaN from a diverged SAE) count as zeros.
        var columnStart = [Int](repeating: 0, count: width + 1)
        for (j, v) in zip(codes.index, codes.value) where v > 0 { columnStart[Int(j) + 1] += 1 }
        for j in 0..<width { columnStart[j + 1] += columnStart[j] }
        var fill = columnStart
        var tokens = [Int](repeating: 0, count: columnStart[width])
        var values = [Float](repeating: 0, count: columnStart[width])
        for t in 0..<n {
            for p in codes.rowStart[t]..<codes.rowStart[t + 1] where codes.value[p] > 0 {
                let j = Int(codes.index[p])
                tokens[fill[j]] = t; values[fill[j]] = codes.value[p]; fill[j] += 1
            }
        }
        let positives = labels.map { $0.mask.filter { $0 }.count }
        var out = [[Double?]](repeating: [Double?](repeating: nil, count: width), count: labels.count)
        var flat = [Double?](repeating: nil, count: labels.count * width)     // [feature][label]
        flat.withUnsafeMutableBufferPointer { res in
            Parallel.forEachChunk(width, minChunk: 32) { features in
                for f in features {
                    let range = columnStart[f]..<columnStart[f + 1]
                    let order = range.sorted { values[$0] < values[$1] }
                    let z = n - range.count                                     // zeros: ranks 1…z
                    for (li, label) in labels.enumerated() {
                        let p = positives[li], q = n - p
                        if p == 0 || q == 0 { continue }
                        var posNonzero = 0
                        var rankSum = 0.0
                        var start = 0
                        while start < order.count {
                            var end = start + 1
                            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
                            let midrank = Double(z + start + 1 + z + end) / 2
                            for t in start..<end where label.mask[tokens[order[t]]] { rankSum += midrank; posNonzero += 1 }
                            start = end
                        }
                        rankSum += Double(p - posNonzero) * Double(z + 1) / 2
                        res[f * labels.count + li] = AUROC.fromRankSum(rankSum, positives: p, negatives: q)
                    }
                }
            }
        }
        for f in 0..<width { for li in labels.indices { out[li][f] = flat[f * labels.count + li] } }
        return out
    }

    /// The best live feature of every label at one checkpoint.
    /// - Parameters:
    ///   - codes: (N, d_sae) sparse codes of SAE[c] on model@c's activations of the evaluation tokens
    public static func evaluate(step: Int, codes: SparseRows, labels: [PlantedLabel]) -> GroundTruthCheckpoint {
        let all = aurocs(codes: codes, labels: labels)
        let alive = FeatureFiring(codes).alive
        var matches: [LabelMatch] = []
        for (li, label) in labels.enumerated() {
            var best: (Int, Double)? = nil
            for f in 0..<codes.cols where alive[f] {
                if let a = all[li][f], best == nil || a > best!.1 { best = (f, a) }
            }
            matches.append(LabelMatch(label: label.name, positives: label.mask.filter { $0 }.count,
                                      bestFeature: best?.0, auroc: best?.1))
        }
        return GroundTruthCheckpoint(step: step, labels: matches)
    }

    /// The same, encoding `activations` (N, d_in) with `sae` first.
    public static func evaluate(step: Int, sae: SparseAutoencoder, activations: Matrix,
                                labels: [PlantedLabel]) -> GroundTruthCheckpoint {
        evaluate(step: step, codes: sae.encode(activations), labels: labels)
    }

    /// When each label formed over a chain of checkpoint evaluations (in step order).
    public static func formation(_ checkpoints: [GroundTruthCheckpoint], threshold: Double = defaultThreshold) -> [LabelFormation] {
        guard let first = checkpoints.first else { return [] }
        return first.labels.indices.map { li in
            let curve = checkpoints.map { $0.labels[li].auroc }
            var formed: Int? = nil
            for c in stride(from: checkpoints.count - 1, through: 0, by: -1) {
                guard let a = curve[c], a >= threshold else { break }
                formed = checkpoints[c].step
            }
            return LabelFormation(label: first.labels[li].label, threshold: threshold, formedAtStep: formed, aurocCurve: curve)
        }
    }
}
