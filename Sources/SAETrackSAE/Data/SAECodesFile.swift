import Foundation
import SAETrackIO

/// SAE codes of a stream of rows, gathered batch by batch and written as safetensors: CSR by default
/// (scipy's `csr_matrix((values, indices, indptr), shape=shape)` reads it directly), or one dense
/// tensor.
///
/// ```
/// CSR    indptr  I64 [N + 1]   row r's entries are indptr[r] ..< indptr[r+1]
///        indices I32 [nnz]     feature ids, increasing within a row
///        values  F32 [nnz]     activations
///        shape   I64 [2]       (N, d_sae)
/// dense  codes   F32 [N, d_sae]
/// ```
public struct SAECodesFile {
    /// Dictionary size d_sae.
    public let width: Int
    /// Rows gathered so far.
    public private(set) var rows = 0
    private var indptr: [Int64] = [0]
    private var indices: [Int32] = []
    private var values: [Float] = []
    /// (d_sae) how many rows each feature fired on.
    public private(set) var firingCounts: [Int]

    public init(width: Int) {
        self.width = width
        firingCounts = [Int](repeating: 0, count: width)
    }

    /// Appends a batch of codes (B, d_sae).
    public mutating func append(_ codes: SparseActivations) {
        precondition(codes.cols == width, "SAECodesFile: codes have \(codes.cols) features, width is \(width)")
        indices.append(contentsOf: codes.index)
        values.append(contentsOf: codes.value)
        let base = indptr.last!
        for r in 0..<codes.rows { indptr.append(base + Int64(codes.rowStart[r + 1])) }
        for i in codes.index { firingCounts[Int(i)] += 1 }
        rows += codes.rows
    }

    /// Stored entries.
    public var nnz: Int { indices.count }
    /// Mean active features per row.
    public var l0: Double { rows > 0 ? Double(nnz) / Double(rows) : 0 }
    /// Features that never fired on the gathered rows.
    public var deadCount: Int { firingCounts.filter { $0 == 0 }.count }

    /// Writes the codes (atomically, as `SafetensorsWriter` does), CSR or dense.
    public func write(to url: URL, dense: Bool, metadata: [String: String] = [:]) throws {
        var meta = metadata
        meta["format"] = dense ? "dense" : "csr"
        meta["l0"] = String(l0); meta["dead_features"] = String(deadCount)
        let tensors: [String: TensorData]
        if dense {
            var out = [Float](repeating: 0, count: rows * width)              // (N, d_sae)
            for r in 0..<rows {
                for e in Int(indptr[r])..<Int(indptr[r + 1]) { out[r * width + Int(indices[e])] = values[e] }
            }
            tensors = ["codes": TensorData(shape: [rows, width], floats: out)]
        } else {
            tensors = [
                "indptr": Self.int64Tensor(indptr),
                "indices": TensorData(shape: [nnz], int32s: indices),
                "values": TensorData(shape: [nnz], floats: values),
                "shape": Self.int64Tensor([Int64(rows), Int64(width)]),
            ]
        }
        try SafetensorsWriter.write(tensors, metadata: meta, to: url)
    }

    private static func int64Tensor(_ v: [Int64]) -> TensorData {
        TensorData(dtype: .i64, shape: [v.count], bytes: v.withUnsafeBytes { Data($0) })   // little-endian hosts
    }
}
