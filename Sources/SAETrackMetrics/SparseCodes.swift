import SAETrackCore
import SAETrackSAE

/// SAE codes in compressed sparse row form: only the non-zero (firing) latents of each token.
///
/// ReLU codes are mostly zero (L0 ≪ d_sae), so every feature-space metric (similarities,
/// AUROC, firing counts) works on this form instead of a dense (N, d_sae) matrix.
///
/// ```
/// row t:  indices[rowStart[t] ..< rowStart[t+1]]  (increasing latent ids)
///         values [rowStart[t] ..< rowStart[t+1]]  (their activations, all ≠ 0)
/// ```
public struct SparseCodes: Sendable, Equatable {
    /// Number of latents (d_sae).
    public private(set) var width: Int
    /// Row offsets, `rows + 1` of them.
    public private(set) var rowStart: [Int]
    /// Latent ids of the non-zeros, increasing within each row.
    public private(set) var indices: [Int32]
    /// Values of the non-zeros.
    public private(set) var values: [Float]

    /// Number of rows (tokens).
    public var rows: Int { rowStart.count - 1 }

    /// An empty code set of the given width.
    public init(width: Int) {
        self.width = width
        rowStart = [0]
        indices = []
        values = []
    }

    /// The non-zeros of a dense code matrix.
    /// - Parameter dense: (N, d_sae)
    public init(dense: Matrix) {
        self.init(width: dense.cols)
        append(dense)
    }

    /// Encodes `activations` with `sae` in batches of `batchRows` and keeps the non-zeros.
    /// - Parameter activations: (N, d_in)
    public init(encoding activations: Matrix, with sae: SparseAutoencoder, batchRows: Int = 1024) {
        precondition(activations.cols == sae.dIn,
                     "SparseCodes: activations have \(activations.cols) columns, the SAE's d_in is \(sae.dIn)")
        self.init(width: sae.dSAE)
        var r0 = 0
        while r0 < activations.rows {
            let r1 = min(activations.rows, r0 + max(1, batchRows))
            append(sae.encode(activations.rows(r0..<r1)))            // (r1 − r0, d_sae) sparse
            r0 = r1
        }
    }

    /// Rows with value `weights[id]` (1 without weights) at the (increasing, distinct) ids of
    /// `supports[r]`; zero weights are dropped so that every stored value is non-zero.
    public init(width: Int, supports: [[Int32]], weights: [Float]? = nil) {
        self.init(width: width)
        for ids in supports {
            precondition(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 } && ids.allSatisfy { $0 >= 0 && Int($0) < width },
                         "SparseCodes: supports must be increasing ids below \(width)")
            for id in ids {
                let w = weights?[Int(id)] ?? 1
                if w != 0 { indices.append(id); values.append(w) }
            }
            rowStart.append(indices.count)
        }
    }

    /// The rows of an SAE's sparse codes (`SparseAutoencoder.encode(_:chunkRows:)`).
    public init(_ codes: SparseActivations) {
        self.init(width: codes.cols)
        append(codes)
    }

    /// Appends the rows of an SAE's sparse codes (B, width); zeros are not stored.
    public mutating func append(_ codes: SparseActivations) {
        precondition(codes.cols == width, "SparseCodes.append: \(codes.cols) columns, width is \(width)")
        for r in 0..<codes.rows {
            for e in codes.rowStart[r]..<codes.rowStart[r + 1] where codes.value[e] != 0 {
                indices.append(codes.index[e])
                values.append(codes.value[e])
            }
            rowStart.append(indices.count)
        }
    }

    /// Appends the rows of a dense code matrix (N, width).
    public mutating func append(_ dense: Matrix) {
        precondition(dense.cols == width, "SparseCodes.append: \(dense.cols) columns, width is \(width)")
        let w = width
        dense.withUnsafeBufferPointer { p in
            for r in 0..<dense.rows {
                let row = p.baseAddress! + r * w
                for j in 0..<w where row[j] != 0 {
                    indices.append(Int32(j))
                    values.append(row[j])
                }
                rowStart.append(indices.count)
            }
        }
    }

    /// The rows listed in `rowIDs`, in that order (repeats allowed).
    public func gathering(_ rowIDs: [Int]) -> SparseCodes {
        var out = SparseCodes(width: width)
        for r in rowIDs {
            let range = rowStart[r]..<rowStart[r + 1]
            out.indices.append(contentsOf: indices[range])
            out.values.append(contentsOf: values[range])
            out.rowStart.append(out.indices.count)
        }
        return out
    }

    /// Number of non-zeros in each row (the per-token L0).
    public var rowCounts: [Int] { (0..<rows).map { rowStart[$0 + 1] - rowStart[$0] } }
}
