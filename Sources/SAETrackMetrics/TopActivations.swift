import SAETrackCore
import SAETrackSAE

/// One activating token of a feature.
public struct TokenActivation: Codable, Equatable, Hashable, Sendable {
    /// Flat token index into the evaluation tokens: `row · context + position`.
    public var token: Int
    /// The feature's activation there (> 0).
    public var activation: Float
}

/// Streaming top-k activating tokens of every feature (Docs/Method.md §7.1: k = 25 under the final
/// SAE and the final model).
///
/// Only firing tokens count (activation > 0): a feature with fewer than k firing tokens keeps
/// fewer, and a feature that never fires keeps none — it is dead, not given 25 arbitrary zeros.
///
/// **Ties** are broken deterministically by a total order: token a ranks above token b iff
/// `act(a) > act(b)`, or `act(a) == act(b)` and `a < b` (the earlier flat token index wins).
/// The result therefore does not depend on batch boundaries or thread count.
///
/// Memory is O(d_sae · k); each batch is scanned once, split over features across threads, and a
/// candidate is compared against the feature's current k-th value before any heap work.
public struct TopActivations: Sendable {
    /// Number of features tracked.
    public let features: Int
    /// Tokens kept per feature.
    public let k: Int
    // Per feature f: a min-heap (worst on top) of up to k entries in slots f·k ..< f·k + count[f].
    private var heapValues: [Float]
    private var heapTokens: [Int]
    private var heapCount: [Int]

    /// An empty selector for `features` features keeping `k` tokens each.
    public init(features: Int, k: Int = 25) {
        precondition(features >= 0 && k > 0, "TopActivations: need features ≥ 0 and k > 0")
        self.features = features
        self.k = k
        heapValues = [Float](repeating: 0, count: features * k)
        heapTokens = [Int](repeating: 0, count: features * k)
        heapCount = [Int](repeating: 0, count: features)
    }

    /// Adds a batch of dense codes.
    /// - Parameters:
    ///   - codes: (B, d_sae) feature activations of B consecutive tokens
    ///   - firstToken: flat token index of the batch's first row
    public mutating func add(codes: Matrix, firstToken: Int) {
        precondition(codes.cols == features, "TopActivations.add: codes have \(codes.cols) columns, tracking \(features)")
        let (b, m, k) = (codes.rows, features, self.k)
        codes.withUnsafeBufferPointer { pc in
            heapValues.withUnsafeMutableBufferPointer { hv in
                heapTokens.withUnsafeMutableBufferPointer { ht in
                    heapCount.withUnsafeMutableBufferPointer { hc in
                        Parallel.forEachChunk(m, minChunk: 64) { featureRange in
                            for r in 0..<b {
                                let row = pc.baseAddress! + r * m
                                let token = firstToken + r
                                for f in featureRange {
                                    let v = row[f]
                                    if !(v > 0) { continue }
                                    TopActivations.offer(v, token, values: hv.baseAddress! + f * k,
                                                         tokens: ht.baseAddress! + f * k, count: &hc[f], k: k)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds sparse codes (e.g. the ones already computed for firing counts or ground truth), so
    /// the evaluation tokens are encoded once per checkpoint.
    /// - Parameters:
    ///   - codes: (B, d_sae) sparse codes of B consecutive tokens
    ///   - firstToken: flat token index of the first row
    public mutating func add(codes: SparseRows, firstToken: Int) {
        precondition(codes.cols == features, "TopActivations.add: codes have \(codes.cols) columns, tracking \(features)")
        let k = self.k
        heapValues.withUnsafeMutableBufferPointer { hv in
            heapTokens.withUnsafeMutableBufferPointer { ht in
                for r in 0..<codes.rows {
                    for p in codes.rowStart[r]..<codes.rowStart[r + 1] where codes.value[p] > 0 {
                        let f = Int(codes.index[p])
                        TopActivations.offer(codes.value[p], firstToken + r, values: hv.baseAddress! + f * k,
                                             tokens: ht.baseAddress! + f * k, count: &heapCount[f], k: k)
                    }
                }
            }
        }
    }

    /// Encodes `activations` with `sae` in batches and adds the codes.
    /// - Parameters:
    ///   - activations: (N, d_in), consecutive tokens starting at `firstToken`
    public mutating func add(sae: SparseAutoencoder, activations: Matrix, firstToken: Int = 0, batchRows: Int = 1024) {
        var r0 = 0
        while r0 < activations.rows {
            let r1 = min(activations.rows, r0 + max(1, batchRows))
            add(codes: sae.encode(activations.rows(r0..<r1)), firstToken: firstToken + r0)
            r0 = r1
        }
    }

    /// The kept tokens of feature `f`, best first (activation descending, then token ascending).
    public func top(_ f: Int) -> [TokenActivation] {
        let n = heapCount[f]
        return (0..<n).map { TokenActivation(token: heapTokens[f * k + $0], activation: heapValues[f * k + $0]) }
            .sorted { TopActivations.ranksAbove($0.activation, $0.token, $1.activation, $1.token) }
    }

    /// Every feature's kept tokens, best first.
    public var all: [[TokenActivation]] { (0..<features).map(top) }

    // MARK: - Heap

    /// a ranks above b in the documented total order.
    @inline(__always)
    static func ranksAbove(_ va: Float, _ ta: Int, _ vb: Float, _ tb: Int) -> Bool {
        va > vb || (va == vb && ta < tb)
    }

    /// Offers (v, token) to one feature's min-heap (worst entry at index 0).
    @inline(__always)
    static func offer(_ v: Float, _ token: Int, values: UnsafeMutablePointer<Float>, tokens: UnsafeMutablePointer<Int>,
                      count: inout Int, k: Int) {
        if count < k {
            // Sift up from the end.
            var i = count
            count += 1
            while i > 0 {
                let parent = (i - 1) / 2
                if ranksAbove(values[parent], tokens[parent], v, token) {
                    values[i] = values[parent]; tokens[i] = tokens[parent]; i = parent
                } else { break }
            }
            values[i] = v; tokens[i] = token
            return
        }
        if !ranksAbove(v, token, values[0], tokens[0]) { return }
        // Replace the worst and sift down.
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var worst = i
            var (wv, wt) = (v, token)
            if l < k && ranksAbove(wv, wt, values[l], tokens[l]) { worst = l; (wv, wt) = (values[l], tokens[l]) }
            if r < k && ranksAbove(wv, wt, values[r], tokens[r]) { worst = r }
            if worst == i { break }
            values[i] = values[worst]; tokens[i] = tokens[worst]; i = worst
        }
        values[i] = v; tokens[i] = token
    }
}
