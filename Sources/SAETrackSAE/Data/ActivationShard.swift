import Foundation
import SAETrackCore
import SAETrackIO

/// The one on-disk format of activations: `saetrack activations` output, every shard of an
/// ``ActivationCache``, and `train-sae --activations` input.
///
/// A shard is a safetensors file with one tensor `activations` [n, d_in] stored as F32, F16 or
/// BF16 (`ActivationDType`; other float dtypes are read too), rows in token order, and string
/// metadata: `hook`, `centered`, `include_bos`, `dtype`, and whatever the writer adds (`model`,
/// `tokens`, `rows`, `context`, ...). Reading converts to float32: an F16/BF16 value reads back as
/// the stored rounding of the original (`ActivationDType.rounded(_:)`).
public enum ActivationShard {
    /// The tensor name.
    public static let tensor = "activations"

    /// Writes `activations` (n, d_in) as `dtype` with `metadata` (plus `dtype`), atomically.
    public static func write(_ activations: Matrix, dtype: ActivationDType = .f32, metadata: [String: String] = [:],
                             to url: URL) throws {
        var meta = metadata
        meta["dtype"] = dtype.rawValue
        try SafetensorsWriter.write([tensor: TensorData(activations, storage: dtype)], metadata: meta, to: url)
    }

    /// Reads a shard's activations as float32 (n, d_in), checking that the tensor exists, is 2-D
    /// and holds floats.
    public static func read(_ url: URL) throws -> Matrix {
        let file = try SafetensorsFile(contentsOf: url)
        guard let info = file.info(tensor) else {
            throw SAETrainingError.badFile(url, "no `\(tensor)` tensor (an activation shard holds `\(tensor)` [n, d_in], as `saetrack activations` writes)")
        }
        guard info.shape.count == 2, [DType.f32, .f16, .bf16, .f64].contains(info.dtype) else {
            throw SAETrainingError.badFile(url, "`\(tensor)` is \(info.dtype.rawValue) \(info.shape); expected F32, F16 or BF16 [n, d_in]")
        }
        return try file.matrix(tensor)
    }

    /// The storage dtype of a shard's `activations` tensor.
    public static func dtype(of url: URL) throws -> DType? {
        try SafetensorsFile(contentsOf: url).info(tensor)?.dtype
    }
}
