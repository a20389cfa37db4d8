import Foundation
import SAETrackCore
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
    public var width: Int { codes.cols }
    /// Rows gathered so far.
    public var rows: Int { codes.rows }
    private var codes: SparseRows                                          // (rows, d_sae)
    /// (d_sae) how many rows each feature fired on.
    public private(set) var firingCounts: [Int]

    public init(width: Int) {
        codes = SparseRows(cols: width)
        firingCounts = [Int](repeating: 0, count: width)
    }

    /// Appends a batch of codes (B, d_sae), as `SparseAutoencoder.encode(_:chunkRows:)` gives them.
    public mutating func append(_ batch: SparseRows) {
        precondition(batch.cols == width, "SAECodesFile: codes have \(batch.cols) features, width is \(width)")
        codes.append(batch)
        for i in batch.index { firingCounts[Int(i)] += 1 }
    }

    /// Stored entries.
    public var nnz: Int { codes.nnz }
    /// Mean active features per row.
    public var l0: Double { codes.meanRowCount }
    /// Features that never fired on the gathered rows.
    public var deadCount: Int { firingCounts.filter { $0 == 0 }.count }

    /// Writes the codes (atomically, as `SafetensorsWriter` does), CSR or dense.
    public func write(to url: URL, dense: Bool, metadata: [String: String] = [:]) throws {
        var meta = metadata
        meta["format"] = dense ? "dense" : "csr"
        meta["l0"] = String(l0); meta["dead_features"] = String(deadCount)
        let tensors: [String: TensorData] = dense
            ? ["codes": TensorData(shape: [rows, width], floats: codes.dense().storage)]              // (N, d_sae)
            : [
                "indptr": Self.int64Tensor(codes.rowStart.map(Int64.init)),
                "indices": TensorData(shape: [nnz], int32s: codes.index),
                "values": TensorData(shape: [nnz], floats: codes.value),
                "shape": Self.int64Tensor([Int64(rows), Int64(width)]),
            ]
        try SafetensorsWriter.write(tensors, metadata: meta, to: url)
    }

    private static func int64Tensor(_ v: [Int64]) -> TensorData {
        TensorData(dtype: .i64, shape: [v.count], bytes: v.withUnsafeBytes { Data($0) })   // little-endian hosts
    }
}
