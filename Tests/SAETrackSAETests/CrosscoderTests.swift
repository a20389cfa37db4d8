import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackSAE

/// The crosscoder against its PyTorch oracle (Tests/Fixtures/sae/generate_crosscoder.py): forward,
/// loss terms, autograd gradients and one torch Adam step, for the L1 and BatchTopK forms.
@Suite struct CrosscoderTests {
    struct Case {
        let parameters: CrosscoderParameters
        let inputs: [Matrix]
        let sparsity: CrosscoderSparsity
        let file: SafetensorsFile
    }

    static let (S, D, M, B) = (3, 6, 12, 10)

    static func load(_ name: String) throws -> Case {
        let f = try Fixtures.file("crosscoder_\(name).safetensors")
        let p = CrosscoderParameters(snapshots: S, dIn: D, dSAE: M, wEnc: try f.floats("W_enc"), bEnc: try f.floats("b_enc"),
                                     wDec: try f.floats("W_dec"), bDec: try f.floats("b_dec"))
        let x = try f.floats("x")
        let inputs = (0..<S).map { s in Matrix(rows: B, cols: D, storage: Array(x[(s * B * D)..<((s + 1) * B * D)])) }
        let setting = Fixtures.scalar(f, "setting")
        let sparsity: CrosscoderSparsity = f.metadata["sparsity_kind"] == "l1" ? .l1(coefficient: setting) : .batchTopK(k: Int(setting))
        return Case(parameters: p, inputs: inputs, sparsity: sparsity, file: f)
    }

    @Test("loss terms, gradients and one Adam step match PyTorch", arguments: ["l1", "batchtopk"])
    func matchesTorch(_ name: String) throws {
        let c = try Self.load(name)
        var grads = [Float](repeating: 0, count: c.parameters.values.count)
        let terms = grads.withUnsafeMutableBufferPointer {
            CrosscoderObjective.evaluate(c.parameters, inputs: c.inputs, sparsity: c.sparsity, gradients: $0.baseAddress!)
        }
        let f = c.file
        // float32 BLAS sums in another order than torch's float64: relative 1e-5.
        #expect(relativeError(terms.loss, Fixtures.scalar(f, "loss")) <= 1e-5)
        #expect(relativeError(terms.mse, Fixtures.scalar(f, "mse")) <= 1e-5)
        if case .l1 = c.sparsity {
            #expect(Fixtures.scalar(f, "sparsity") > 1, "the fixture's penalty must matter")
            #expect(relativeError(terms.sparsity, Fixtures.scalar(f, "sparsity")) <= 1e-5)
        } else {
            #expect(terms.sparsity == 0)
        }
        #expect(terms.l0 == Fixtures.scalar(f, "l0"))
        #expect(maxRelativeError(terms.msePerSnapshot, try f.floats("mse_per_snapshot")) <= 1e-5)
        #expect(maxRelativeError(terms.explainedVariancePerSnapshot, try f.floats("explained_variance_per_snapshot")) <= 1e-5)
        let g = CrosscoderParameters(snapshots: Self.S, dIn: Self.D, dSAE: Self.M, values: grads)
        for t in CrosscoderTensor.allCases {
            let expected = try f.floats("grad_" + t.rawValue)
            #expect(expected.contains { $0 != 0 }, "grad_\(t.rawValue) is all zero in the fixture")
            #expect(maxRelativeError(g.tensor(t), expected) <= 1e-5, "grad_\(t.rawValue)")
        }
        // One Adam step (torch.optim.Adam, lr 1e-3) from these gradients.
        var after = c.parameters
        var adam = Adam(dIn: 0, dSAE: 0)
        var m = [Float](repeating: 0, count: grads.count), v = m
        adam.step += 1
        adam.update(vector: &after.values, gradient: grads, m: &m, v: &v, lr: Fixtures.scalar(f, "lr"))
        for t in CrosscoderTensor.allCases {
            #expect(maxRelativeError(after.tensor(t), try f.floats(t.rawValue + "_after_adam")) <= 1e-5, "\(t.rawValue) after Adam")
        }
    }

    @Test("BatchTopK keeps exactly k·B latents, chosen by ReLU(pre) × total decoder norm")
    func batchTopKSelection() throws {
        let c = try Self.load("batchtopk")
        let expected = try c.file.floats("code")
        // The code itself (Swift's evaluate keeps it in its workspace).
        let w = CrosscoderObjective.Workspace()
        _ = CrosscoderObjective.evaluate(c.parameters, inputs: c.inputs, sparsity: c.sparsity, workspace: w)
        #expect(maxRelativeError(w.code, expected) <= 1e-5)
        #expect(w.code.filter { $0 > 0 }.count == 3 * Self.B)
        // Selecting on ReLU(pre) alone (unit weights) picks a different set: the norms matter here.
        let plain = CrosscoderObjective.Workspace()
        _ = CrosscoderObjective.evaluate(c.parameters, inputs: c.inputs, sparsity: .l1(coefficient: 0), workspace: plain)
        var relu = plain.code                                         // ReLU(pre), every latent
        relu.withUnsafeMutableBufferPointer {
            CrosscoderObjective.selectBatchTopK(code: $0.baseAddress!, rows: Self.B, cols: Self.M,
                                                weights: [Float](repeating: 1, count: Self.M), keep: 3 * Self.B)
        }
        #expect(relu.map { $0 > 0 } != expected.map { $0 > 0 }, "the fixture must tell the weighted selection from the plain one")
    }

    @Test("codes(_:) is PyTorch's shared code f, as CSR rows, for both forms", arguments: ["l1", "batchtopk"])
    func codesMatchTorch(_ name: String) throws {
        let c = try Self.load(name)
        let expected = try c.file.floats("code")                                  // (B, d_sae)
        let dense = CrosscoderObjective.codes(c.parameters, inputs: c.inputs, sparsity: c.sparsity)
        #expect(dense.rows == Self.B && dense.cols == Self.M && maxRelativeError(dense.storage, expected) <= 1e-5)
        // Unit scales, one batch: the sparse rows hold exactly the non-zeros of f.
        let sparse = try CrosscoderTrainer.codes(c.parameters, c.inputs, scales: [1, 1, 1], sparsity: c.sparsity, batchSize: Self.B)
        #expect(sparse.rows == Self.B && sparse.nnz == expected.filter { $0 > 0 }.count)
        #expect(maxRelativeError(sparse.dense().storage, expected) <= 1e-5)
        // Scales multiply the inputs: scaling every input by 2 and passing scale ½ gives the same code.
        let doubled = c.inputs.map { m in Matrix(rows: m.rows, cols: m.cols, storage: m.storage.map { 2 * $0 }) }
        let halved = try CrosscoderTrainer.codes(c.parameters, doubled, scales: [0.5, 0.5, 0.5], sparsity: c.sparsity, batchSize: Self.B)
        #expect(maxRelativeError(halved.dense().storage, expected) <= 1e-5)
        #expect(throws: CrosscoderError.self) { try CrosscoderTrainer.codes(c.parameters, Array(c.inputs.prefix(2)), scales: [1, 1], sparsity: c.sparsity, batchSize: 4) }
    }
}
