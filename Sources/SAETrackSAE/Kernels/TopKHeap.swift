/// The k largest (value, index) pairs of a stream: a binary min-heap of capacity k.
///
/// Ties at the threshold keep the earlier index (a later equal value does not displace it).
struct TopKHeap {
    private var values: [Float]
    private var ids: [Int32]
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        values = [Float](repeating: 0, count: max(capacity, 1))
        ids = [Int32](repeating: 0, count: max(capacity, 1))
    }

    /// Empties the heap and sets a new capacity (≤ the initial one grows the storage if needed).
    mutating func reset(capacity k: Int) {
        if k > values.count {
            values = [Float](repeating: 0, count: k)
            ids = [Int32](repeating: 0, count: k)
        }
        capacity = k
        count = 0
    }

    @inline(__always)
    mutating func offer(_ v: Float, _ i: Int32) {
        if capacity == 0 { return }
        if count < capacity {
            var c = count
            count += 1
            while c > 0 {                                   // sift up
                let parent = (c - 1) / 2
                if values[parent] <= v { break }
                values[c] = values[parent]; ids[c] = ids[parent]
                c = parent
            }
            values[c] = v; ids[c] = i
        } else if v > values[0] {
            var c = 0                                       // replace root, sift down
            while true {
                let l = 2 * c + 1
                if l >= count { break }
                let r = l + 1
                let s = (r < count && values[r] < values[l]) ? r : l
                if values[s] >= v { break }
                values[c] = values[s]; ids[c] = ids[s]
                c = s
            }
            values[c] = v; ids[c] = i
        }
    }

    /// Appends the kept pairs in increasing index order (optionally only values > 0).
    mutating func appendSortedByIndex(positiveOnly: Bool, to index: inout [Int32], _ value: inout [Float]) {
        var pairs: [(Int32, Float)] = []
        pairs.reserveCapacity(count)
        for t in 0..<count where !positiveOnly || values[t] > 0 { pairs.append((ids[t], values[t])) }
        pairs.sort { $0.0 < $1.0 }
        for (i, v) in pairs { index.append(i); value.append(v) }
    }
}
