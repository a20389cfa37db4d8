/// The k largest entries of every row, with their column indices, and the backward scatter.
///
/// For each row `r` of an (N, C) buffer, returns the k entries that come first in the order
///
///     a before b  ⇔  a.value > b.value, or a.value == b.value and a.index < b.index
///
/// i.e. **ties are broken by the lower column index**, and the k results are written in that order
/// (largest first). The selection is exact and deterministic: a bounded heap per row, O(C log k).
/// NaN entries give an unspecified (but deterministic) selection.
///
/// Backward: the values are a gather, so `dx[r, indices[r, i]] = dValues[r, i]` and 0 elsewhere.
public enum TopK {
    /// Forward.
    /// - Parameters:
    ///   - x: (rows, cols) input.
    ///   - k: how many to keep per row, `0 ≤ k ≤ cols`.
    ///   - values: (rows, k) written, largest first.
    ///   - indices: (rows, k) column indices into `x`, written in the same order as `values`.
    public static func forward(
        _ x: UnsafePointer<Float>, rows: Int, cols: Int, k: Int,
        values: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>
    ) {
        precondition(k >= 0 && k <= cols, "TopK.forward: k = \(k) must be in 0...\(cols)")
        precondition(cols <= Int(Int32.max), "TopK.forward: \(cols) columns do not fit Int32 indices")
        if k == 0 || rows == 0 { return }
        Parallel.forEachChunk(rows, minChunk: max(1, 16384 / cols)) { range in
            // A min-heap on "worse": the root is the entry that would be dropped first.
            var hv = [Float](repeating: 0, count: k)
            var hi = [Int32](repeating: 0, count: k)
            hv.withUnsafeMutableBufferPointer { hv in
                hi.withUnsafeMutableBufferPointer { hi in
                    for r in range {
                        let xr = x + r * cols
                        var size = 0
                        for c in 0..<cols {
                            let v = xr[c]
                            if size < k {
                                siftUp(hv, hi, value: v, index: Int32(c), at: size)
                                size += 1
                            } else if v > hv[0] {
                                // A later column only displaces the root when strictly larger:
                                // on a tie the earlier (lower) index stays.
                                siftDown(hv, hi, value: v, index: Int32(c), size: k)
                            }
                        }
                        // Pop the worst first and fill the output from the back: largest first.
                        let vr = values + r * k, ir = indices + r * k
                        while size > 0 {
                            size -= 1
                            vr[size] = hv[0]
                            ir[size] = hi[0]
                            if size > 0 { siftDown(hv, hi, value: hv[size], index: hi[size], size: size) }
                        }
                    }
                }
            }
        }
    }

    /// Backward: `dx[r, indices[r, i]] = dValues[r, i]`, every other entry 0. dx: (rows, cols)
    /// written (overwritten); dValues, indices: (rows, k).
    public static func backward(
        dValues: UnsafePointer<Float>, indices: UnsafePointer<Int32>, rows: Int, cols: Int, k: Int,
        dx: UnsafeMutablePointer<Float>
    ) {
        Parallel.forEachChunk(rows, minChunk: max(1, 16384 / max(cols, 1))) { range in
            for r in range {
                let dxr = dx + r * cols
                dxr.update(repeating: 0, count: cols)
                for i in 0..<k { dxr[Int(indices[r * k + i])] += dValues[r * k + i] }
            }
        }
    }

    /// `a` is worse than `b`: smaller value, or equal value and larger index.
    @inline(__always)
    private static func worse(_ av: Float, _ ai: Int32, _ bv: Float, _ bi: Int32) -> Bool {
        av < bv || (av == bv && ai > bi)
    }

    @inline(__always)
    private static func siftUp(
        _ hv: UnsafeMutableBufferPointer<Float>, _ hi: UnsafeMutableBufferPointer<Int32>,
        value: Float, index: Int32, at start: Int
    ) {
        var pos = start
        while pos > 0 {
            let parent = (pos - 1) / 2
            if !worse(value, index, hv[parent], hi[parent]) { break }
            hv[pos] = hv[parent]; hi[pos] = hi[parent]
            pos = parent
        }
        hv[pos] = value; hi[pos] = index
    }

    /// Replaces the root with (value, index) and restores the heap over `0..<size`.
    @inline(__always)
    private static func siftDown(
        _ hv: UnsafeMutableBufferPointer<Float>, _ hi: UnsafeMutableBufferPointer<Int32>,
        value: Float, index: Int32, size: Int
    ) {
        var pos = 0
        while true {
            let left = 2 * pos + 1
            if left >= size { break }
            var child = left
            let right = left + 1
            if right < size && worse(hv[right], hi[right], hv[left], hi[left]) { child = right }
            if !worse(hv[child], hi[child], value, index) { break }
            hv[pos] = hv[child]; hi[pos] = hi[child]
            pos = child
        }
        hv[pos] = value; hi[pos] = index
    }

    /// Returns the top-k values (N, k) of every row of `x`, largest first, and their column
    /// indices (N·k, row-major like the values). Ties go to the lower index.
    public static func forward(_ x: Matrix, k: Int) -> (values: Matrix, indices: [Int32]) {
        precondition(k >= 0 && k <= x.cols, "TopK.forward: k = \(k) must be in 0...\(x.cols)")
        var values = Matrix(rows: x.rows, cols: k)
        var indices = [Int32](repeating: 0, count: x.rows * k)
        if values.count == 0 { return (values, indices) }
        x.withUnsafeBufferPointer { px in
            values.withUnsafeMutableBufferPointer { pv in
                forward(px.baseAddress!, rows: x.rows, cols: x.cols, k: k, values: pv.baseAddress!, indices: &indices)
            }
        }
        return (values, indices)
    }

    /// Returns dx (N, cols) scattering `dValues` (N, k) back to the selected columns.
    public static func backward(dValues: Matrix, indices: [Int32], cols: Int) -> Matrix {
        precondition(indices.count == dValues.count,
                     "TopK.backward: \(indices.count) indices for \(dValues.count) gradient values")
        var dx = Matrix(rows: dValues.rows, cols: cols)
        if dx.count == 0 { return dx }
        let (rows, k) = (dValues.rows, dValues.cols)
        dValues.withUnsafeBufferPointer { pdv in
            dx.withUnsafeMutableBufferPointer { pdx in
                if k == 0 { pdx.update(repeating: 0); return }
                backward(dValues: pdv.baseAddress!, indices: indices, rows: rows, cols: cols, k: k, dx: pdx.baseAddress!)
            }
        }
        return dx
    }
}
