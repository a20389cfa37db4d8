import Foundation

/// BatchTopK's code selection (SAELens `BatchTopK`, 6.54.12): over the whole batch of pre-activations
/// (B, d_sae), ReLU, then keep the `total` = k·B largest values, wherever they are:
/// ```
/// f = scatter(topk(flatten(ReLU(pre)), k·B))        rows may hold more or fewer than k entries
/// ```
/// Streaming: each encoder worker offers its positive pre-activations to a ``Candidates`` list that
/// prunes itself to its own top `total` whenever it doubles (a quickselect), rejecting anything at
/// or below its running cutoff; the global top `total` is a subset of the union of the workers'
/// lists, so ``assemble(rows:cols:)`` selects it exactly. Memory stays O(workers · total), never
/// (B, d_sae). Ties at the cutoff keep the entries offered first (torch.topk's order is unspecified).
final class BatchTopKSelection: @unchecked Sendable {
    /// One worker's candidates.
    struct Candidates {
        var value: [Float] = [], row: [Int32] = [], feature: [Int32] = []
        /// Values ≤ cutoff can no longer be among the worker's top `total`.
        private(set) var cutoff: Float = 0
        let total: Int

        init(total: Int) { self.total = total }

        @inline(__always)
        mutating func offer(_ v: Float, row r: Int32, feature i: Int32) {
            guard v > cutoff else { return }
            value.append(v); row.append(r); feature.append(i)
            if value.count >= 2 * max(total, 1) { prune() }
        }

        /// Keeps the `total` largest (ties: earliest offered) and raises the cutoff to the smallest kept.
        mutating func prune() {
            guard value.count > total else { return }
            let tau = BatchTopKSelection.kthLargest(value, total)
            var above = 0
            for v in value where v > tau { above += 1 }
            var ties = total - above
            var w = 0
            for e in 0..<value.count {
                let v = value[e]
                if v > tau || (v == tau && ties > 0) {
                    if v == tau { ties -= 1 }
                    value[w] = v; row[w] = row[e]; feature[w] = feature[e]; w += 1
                }
            }
            value.removeLast(value.count - w); row.removeLast(row.count - w); feature.removeLast(feature.count - w)
            if total > 0 { cutoff = max(cutoff, tau) }
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
    func assemble(rows: Int, cols: Int) -> SparseActivations {
        parts.sort { $0.first < $1.first }
        var all = Candidates(total: total)
        for p in parts {
            all.value += p.candidates.value; all.row += p.candidates.row; all.feature += p.candidates.feature
        }
        all.prune()
        // CSR by a counting sort on (row, feature).
        var order = Array(0..<all.value.count)
        order.sort { (all.row[$0], all.feature[$0]) < (all.row[$1], all.feature[$1]) }
        var rowStart = [Int](repeating: 0, count: rows + 1)
        for r in all.row { rowStart[Int(r) + 1] += 1 }
        for r in 0..<rows { rowStart[r + 1] += rowStart[r] }
        return SparseActivations(rows: rows, cols: cols, rowStart: rowStart,
                                 index: order.map { all.feature[$0] }, value: order.map { all.value[$0] })
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
