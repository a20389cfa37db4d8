import CSupport

/// Per-row top-k selection (TopK codes and AuxK), for the feature-block and row-chunk encoders.
///
/// Each row keeps its `k` first offers in the order "larger value first; equal values: smaller
/// feature id first" (NaN never kept), whatever the algorithm: offers below the row's running
/// threshold are rejected 16 lanes at a time, the rest are buffered and pruned by a selection
/// (`CSupport/topk_select.c`, AVX-512 where the CPU has it, the same result without). Offers to a
/// row must come in increasing feature order.
///
/// With `positiveOnly` only the positive values among those k are returned (TopK codes), and the
/// rows refuse offers ≤ 0 from the start: a row with fewer than k positive offers then keeps all of
/// them, which are exactly the positive ones among its k first. The same result as selecting k and
/// dropping the rest, but a row of a TopK SAE whose L0 is near k buffers and prunes almost nothing.
final class TopKRows {
    let rows: Int
    let k: Int
    /// Whether only the positive kept values are returned (and offers ≤ 0 refused).
    let positiveOnly: Bool
    private let capacity: Int
    private let values: UnsafeMutablePointer<Float>
    private let ids: UnsafeMutablePointer<Int32>
    private let counts: UnsafeMutablePointer<Int32>
    private let thresholds: UnsafeMutablePointer<Float>
    private let scratchValues: UnsafeMutablePointer<Float>
    private let scratchIds: UnsafeMutablePointer<Int32>
    private var state: saetrack_topk_rows

    init(rows: Int, k: Int, positiveOnly: Bool) {
        self.rows = rows
        self.k = max(k, 0)
        self.positiveOnly = positiveOnly
        capacity = self.k == 0 ? 1 : max(4 * self.k, self.k + 64)
        values = .allocate(capacity: max(rows, 1) * capacity)
        ids = .allocate(capacity: max(rows, 1) * capacity)
        counts = .allocate(capacity: max(rows, 1))
        thresholds = .allocate(capacity: max(rows, 1))
        scratchValues = .allocate(capacity: capacity)
        scratchIds = .allocate(capacity: capacity)
        state = saetrack_topk_rows(values: values, ids: ids, count: counts, threshold: thresholds,
                                   scratch_values: scratchValues, scratch_ids: scratchIds,
                                   k: Int32(self.k), capacity: Int32(capacity))
        reset()
    }

    deinit {
        values.deallocate(); ids.deallocate(); counts.deallocate(); thresholds.deallocate()
        scratchValues.deallocate(); scratchIds.deallocate()
    }

    /// Empties every row.
    func reset() { saetrack_topk_reset(&state, rows, positiveOnly ? 0 : -.infinity) }

    /// Offers pre[j] + bias[j] as feature first + j, j < n, to row r.
    @inline(__always)
    func scan(_ r: Int, pre: UnsafePointer<Float>, bias: UnsafePointer<Float>, first: Int, count n: Int) {
        saetrack_topk_scan(&state, r, pre, bias, Int32(first), n)
    }

    /// Offers one (value, feature) to row r.
    @inline(__always)
    func offer(_ r: Int, _ value: Float, _ feature: Int32) { saetrack_topk_offer(&state, r, value, feature) }

    /// Row r's kept entries (only values > 0 with `positiveOnly`) appended by increasing feature id;
    /// returns how many.
    @discardableResult
    func appendSorted(_ r: Int, to index: inout [Int32], _ value: inout [Float]) -> Int {
        if k == 0 { return 0 }
        let start = index.count
        index.append(contentsOf: repeatElement(0, count: k)); value.append(contentsOf: repeatElement(0, count: k))
        let n = index.withUnsafeMutableBufferPointer { ix in value.withUnsafeMutableBufferPointer { vx in
            saetrack_topk_finish(&state, r, positiveOnly ? 1 : 0, ix.baseAddress! + start, vx.baseAddress! + start)
        } }
        index.removeLast(k - n); value.removeLast(k - n)
        return n
    }

    /// Every row's kept entries as CSR pieces (``appendSorted(_:to:_:)`` row by row).
    func sortedByIndex() -> (counts: [Int], index: [Int32], value: [Float]) {
        var rowCounts = [Int](repeating: 0, count: rows)
        var index: [Int32] = [], value: [Float] = []
        index.reserveCapacity(rows * k); value.reserveCapacity(rows * k)
        for r in 0..<rows { rowCounts[r] = appendSorted(r, to: &index, &value) }
        return (rowCounts, index, value)
    }
}
