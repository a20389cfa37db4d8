import Foundation
import SAETrackCore

/// Finds NaN and ±infinity in float data, so a corrupt checkpoint, a diverged run or a bad
/// activation file is named where it is read instead of turning every later number into NaN.
public enum NonFiniteValues {
    /// The non-finite values of a buffer: how many, the first one's flat index and value.
    public struct Found: Equatable, Sendable {
        public var count: Int
        public var first: Int
        public var value: Float
    }

    /// Scans `values` (one pass, no allocation); nil when every value is finite.
    public static func find(in values: UnsafeBufferPointer<Float>) -> Found? {
        var count = 0
        var first = -1
        for i in 0..<values.count where !values[i].isFinite {
            if first < 0 { first = i }
            count += 1
        }
        return first < 0 ? nil : Found(count: count, first: first, value: values[first])
    }

    /// Scans an array; nil when every value is finite.
    public static func find(in values: [Float]) -> Found? {
        values.withUnsafeBufferPointer { find(in: $0) }
    }

    /// The first row of a (rows, cols) matrix holding a non-finite value, with the count over
    /// the whole matrix; nil when all are finite.
    public static func firstRow(of m: Matrix) -> (row: Int, column: Int, count: Int, value: Float)? {
        guard let f = m.withUnsafeBufferPointer({ find(in: $0) }) else { return nil }
        let cols = max(m.cols, 1)
        return (f.first / cols, f.first % cols, f.count, f.value)
    }
}

/// A data tensor (activations, tokens' embeddings, an SAE) holds NaN or ±infinity; names the
/// file, the tensor and the first bad row.
public struct NonFiniteDataError: Error, CustomStringConvertible, Equatable {
    /// File (or other source) the values came from.
    public var source: String
    /// Tensor name, e.g. `activations`.
    public var tensor: String
    /// First row holding a non-finite value, and its column.
    public var row: Int
    public var column: Int
    /// Non-finite values in the whole tensor.
    public var count: Int
    public var value: Float
    /// What a row is, for the message ("token", "activation row").
    public var rowMeaning: String

    public init(source: String, tensor: String, row: Int, column: Int, count: Int, value: Float, rowMeaning: String = "row") {
        self.source = source; self.tensor = tensor; self.row = row; self.column = column
        self.count = count; self.value = value; self.rowMeaning = rowMeaning
    }

    /// Checks a (rows, cols) matrix; throws naming the first bad row.
    public static func check(_ m: Matrix, source: String, tensor: String, rowMeaning: String = "row", rowOffset: Int = 0) throws {
        if let bad = NonFiniteValues.firstRow(of: m) {
            throw NonFiniteDataError(source: source, tensor: tensor, row: rowOffset + bad.row, column: bad.column,
                                     count: bad.count, value: bad.value, rowMeaning: rowMeaning)
        }
    }

    public var description: String {
        "\(source): `\(tensor)` \(rowMeaning) \(row) holds \(value) (column \(column)); \(count) non-finite value"
            + "\(count == 1 ? "" : "s") in all. Fix or drop those rows; SAETrack does not train on NaN or infinity"
    }
}
