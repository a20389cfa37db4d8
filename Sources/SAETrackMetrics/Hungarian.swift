/// Exact minimum-cost one-to-one assignment (the Hungarian method, in the shortest-augmenting-path
/// form of Jonker–Volgenant with row/column potentials), for rectangular cost matrices.
///
/// ```
/// minimise Σ_i cost[i, σ(i)]   over injective σ : rows → columns        (n ≤ m)
/// ```
///
/// When n > m the transpose is solved, so every column is assigned and n − m rows stay
/// unassigned, like `scipy.optimize.linear_sum_assignment`. Each of the min(n, m) augmentations
/// runs a Dijkstra-like scan over the columns with reduced costs `cost[i, j] − u[i] − v[j]`;
/// total time O(min(n,m)² · max(n,m)), memory O(n·m) for the cost matrix plus O(m). Potentials
/// and the reduced-cost scan are in Double; the costs are Float.
public enum Hungarian {
    /// Solves the assignment problem.
    /// - Parameters:
    ///   - cost: (n, m) row-major costs, all finite
    ///   - n: rows
    ///   - m: columns
    /// - Returns: `columnOfRow[i]` (nil for unassigned rows) and the total cost.
    public static func solve(cost: [Float], rows n: Int, cols m: Int) -> (columnOfRow: [Int?], total: Double) {
        precondition(cost.count == n * m, "Hungarian: \(cost.count) costs for a (\(n), \(m)) matrix")
        precondition(cost.allSatisfy { $0.isFinite }, "Hungarian: costs must be finite")
        if n == 0 || m == 0 { return ([Int?](repeating: nil, count: n), 0) }
        if n > m {
            // Solve the transpose: columns become rows.
            var t = [Float](repeating: 0, count: n * m)
            for i in 0..<n { for j in 0..<m { t[j * n + i] = cost[i * m + j] } }
            let (rowOfColumn, total) = solve(cost: t, rows: m, cols: n)
            var columnOfRow = [Int?](repeating: nil, count: n)
            for (j, i) in rowOfColumn.enumerated() { if let i { columnOfRow[i] = j } }
            return (columnOfRow, total)
        }
        // 1-indexed rows 1…n and columns 1…m; column 0 is the virtual start of each augmentation.
        var u = [Double](repeating: 0, count: n + 1)      // row potentials
        var v = [Double](repeating: 0, count: m + 1)      // column potentials
        var rowOf = [Int](repeating: 0, count: m + 1)     // rowOf[j]: row assigned to column j (0 = free)
        var way = [Int](repeating: 0, count: m + 1)       // predecessor column on the shortest path
        var minv = [Double](repeating: 0, count: m + 1)
        var used = [Bool](repeating: false, count: m + 1)
        cost.withUnsafeBufferPointer { c in
            for i in 1...n {
                rowOf[0] = i
                var j0 = 0
                for j in 0...m { minv[j] = .infinity; used[j] = false }
                repeat {
                    used[j0] = true
                    let i0 = rowOf[j0]
                    var delta = Double.infinity
                    var j1 = 0
                    let rowBase = (i0 - 1) * m
                    let ui0 = u[i0]
                    for j in 1...m where !used[j] {
                        let cur = Double(c[rowBase + j - 1]) - ui0 - v[j]
                        if cur < minv[j] { minv[j] = cur; way[j] = j0 }
                        if minv[j] < delta { delta = minv[j]; j1 = j }
                    }
                    for j in 0...m {
                        if used[j] { u[rowOf[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
                    }
                    j0 = j1
                } while rowOf[j0] != 0
                // Augment along the path back to the virtual column.
                repeat {
                    let j1 = way[j0]
                    rowOf[j0] = rowOf[j1]
                    j0 = j1
                } while j0 != 0
            }
        }
        var columnOfRow = [Int?](repeating: nil, count: n)
        var total = 0.0
        for j in 1...m where rowOf[j] != 0 {
            columnOfRow[rowOf[j] - 1] = j - 1
            total += Double(cost[(rowOf[j] - 1) * m + j - 1])
        }
        return (columnOfRow, total)
    }
}
