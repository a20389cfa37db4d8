import Foundation
import SAETrackCore

/// BatchTopK's code selection (SAELens `BatchTopK`, 6.54.12): over the whole batch of pre-activations
/// (B, d_sae), ReLU, then keep the `total` = k·B largest values, wherever they are:
/// ```
/// f = scatter(topk(flatten(ReLU(pre)), k·B))        rows may hold more or fewer than k entries
/// ```
/// Streaming: each encoder worker offers its positive pre-activations to a ``Candidates`` list that
/// prunes itself to its own top `total` whenever it doubles (a quickselect), rejecting anything at
/// or below its running cutoff; the global top `total` is a subset of the union of the workers'
/// lists, so ``assemble(rows:cols:)`` selects it exactly. Memory stays O(workers · total), never
/// (B, d_sae). Ties at the cutoff keep the smallest (row, feature) (torch.topk's order is unspecified),
/// so the selection does not depend on the order the workers offer in.
final class BatchTopKSelection: @unchecked Sendable {
    /// One worker's candidates.
    struct Candidates {
        var value: [Float] = [], row: [Int32] = [], feature: [Int32] = []
        /// Values ≤ cutoff can no longer be among the worker's top `total`.
        private(set) var cutoff: Float = 0
        let total: Int

        init(total: Int) { self.total = total }

        /// The smallest value ``offer(_:row:feature:)`` admits: the smallest positive float before
        /// the first prune (ReLU), then the cutoff itself (an equal value may still win its tie).
        var admissionFloor: Float { cutoff > 0 ? cutoff : .leastNonzeroMagnitude }

        @inline(__always)
        mutating func offer(_ v: Float, row r: Int32, feature i: Int32) {
            guard v >= admissionFloor else { return }
            value.append(v); row.append(r); feature.append(i)
            if value.count >= 2 * max(total, 1) { prune() }
        }

        /// Keeps the `total` largest (ties: smallest (row, feature), whatever order they were
        /// offered in: ``BatchTopKCut``) and raises the cutoff to the smallest kept.
        mutating func prune() {
            guard let cut = BatchTopKCut(value: value, row: row, feature: feature, total: total) else { return }
            var w = 0
            for e in 0..<value.count where cut.keeps(value[e], row: row[e], feature: feature[e]) {
                value[w] = value[e]; row[w] = row[e]; feature[w] = feature[e]; w += 1
            }
            value.removeLast(value.count - w); row.removeLast(row.count - w); feature.removeLast(feature.count - w)
            if total > 0 { cutoff = max(cutoff, cut.value) }
        }
    }

    let total: Int
    private let lock = NSLock()
    private var parts: [(first: Int, candidates: Candidates)] = []

    /// - Parameter total: k·B entries to keep over the batch.
    init(total: Int) { self.total = total }

    /// Hands in a worker's candidates; `first` (its first batch row) orders the workers.
    func store(_ c: Candidates, first: Int) {
        lock.lock(); parts.append((first, c)); lock.unlock()
    }

    /// The selected codes (rows, cols) in CSR, features increasing within each row.
    func assemble(rows: Int, cols: Int) -> SparseRows {
        parts.sort { $0.first < $1.first }
        var all = Candidates(total: total)
        for p in parts {
            all.value += p.candidates.value; all.row += p.candidates.row; all.feature += p.candidates.feature
        }
        all.prune()
        // CSR: a stable counting sort by row, then an insertion sort by feature within each row
        // (the workers offer each row's features in increasing order, so it usually moves nothing).
        let n = all.value.count
        var rowStart = [Int](repeating: 0, count: rows + 1)
        for r in all.row { rowStart[Int(r) + 1] += 1 }
        for r in 0..<rows { rowStart[r + 1] += rowStart[r] }
        var index = [Int32](repeating: 0, count: n), value = [Float](repeating: 0, count: n)
        var cursor = rowStart
        for e in 0..<n {
            let r = Int(all.row[e])
            index[cursor[r]] = all.feature[e]; value[cursor[r]] = all.value[e]
            cursor[r] += 1
        }
        for r in 0..<rows {
            let lo = rowStart[r]
            for e in lo..<rowStart[r + 1] {
                let (f, v) = (index[e], value[e])
                var c = e
                while c > lo && index[c - 1] > f { index[c] = index[c - 1]; value[c] = value[c - 1]; c -= 1 }
                index[c] = f; value[c] = v
            }
        }
        return SparseRows(rows: rows, cols: cols, rowStart: rowStart, index: index, value: value)
    }

    /// The k-th largest of `values` (1-based k ≤ count), by an iterative quickselect on a copy.
    static func kthLargest(_ values: [Float], _ k: Int) -> Float {
        var a = values
        var (lo, hi) = (0, a.count - 1)
        let target = k - 1                                     // index in descending order
        while lo < hi {
            let pivot = a[(lo + hi) / 2]
            var (i, j) = (lo, hi)
            while i <= j {
                while a[i] > pivot { i += 1 }
                while a[j] < pivot { j -= 1 }
                if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
            }
            if target <= j { hi = j } else if target >= i { lo = i } else { return a[target] }
        }
        return a[target]
    }
}
