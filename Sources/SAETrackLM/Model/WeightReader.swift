import SAETrackCore

/// Looks up named checkpoint tensors with expected shapes, collecting every problem (missing
/// name, wrong shape) instead of stopping at the first, so a load error lists all of them.
struct WeightReader {
    private let weights: [String: Matrix]
    private(set) var problems: [String] = []

    init(_ weights: [String: Matrix]) { self.weights = weights }

    /// Whether `name` is present.
    func has(_ name: String) -> Bool { weights[name] != nil }

    /// The (rows, cols) matrix `name`; a zero placeholder (and a recorded problem) if absent or misshapen.
    mutating func matrix(_ name: String, _ rows: Int, _ cols: Int) -> Matrix {
        guard let m = weights[name] else {
            problems.append("missing:     \(name) (expected [\(rows), \(cols)])")
            return Matrix(rows: rows, cols: cols)
        }
        guard m.rows == rows && m.cols == cols else {
            problems.append("wrong shape: \(name) is [\(m.rows), \(m.cols)], expected [\(rows), \(cols)]")
            return Matrix(rows: rows, cols: cols)
        }
        return m
    }

    /// The 1-D tensor `name` (held as one row) of `count` values.
    mutating func vector(_ name: String, _ count: Int) -> [Float] {
        guard let m = weights[name] else {
            problems.append("missing:     \(name) (expected [\(count)])")
            return [Float](repeating: 0, count: count)
        }
        guard m.count == count && m.rows == 1 else {
            problems.append("wrong shape: \(name) is [\(m.rows), \(m.cols)], expected [\(count)]")
            return [Float](repeating: 0, count: count)
        }
        return m.storage
    }
}
