import Foundation
import Testing
import SAETrackCore
@testable import SAETrackLM

/// Gradients of every parameter against torch autograd on tiny transformers models
/// (fixtures: Tests/Fixtures/train/generate.py).
@Suite("LM training: backward pass against torch autograd")
struct TrainingGradientTests {
    @Test("loss, logits and every parameter gradient match torch (max rel. error ≤ 1e-3)",
          arguments: ["neox_parallel", "neox_sequential_tied", "neox_long_context", "gpt2"], SIMDMath.KernelForm.allCases)
    func gradientsMatchTorch(_ name: String, _ form: SIMDMath.KernelForm) throws {
        // .portable: the libm softmax / GELU loops on every thread of the step, whatever the CPU has
        try SIMDMath.withKernelForm(form) { try gradientsMatchTorch(name) }
    }

    private func gradientsMatchTorch(_ name: String) throws {
        let fixture = try TrainingFixture(name)
        let model = try fixture.model()
        let expectedGradients = try fixture.tensors("grad.")
        #expect(Set(expectedGradients.keys) == Set(model.layout.tensors.map(\.name)))

        let logits = TransformerLM(model).logits(tokens: fixture.tokens, rows: fixture.batch, context: fixture.context)
        #expect(maxRelativeError(logits.storage, try fixture.file.floats("logits")) <= 1e-5)

        model.zeroGradients()
        let loss = model.forward(tokens: fixture.tokens, batch: fixture.batch, context: fixture.context,
                                 computeGradients: true)
        model.backward()
        let expectedLoss = try fixture.file.floats("loss")[0]
        #expect(abs(loss - expectedLoss) <= 1e-5 * abs(expectedLoss), "\(name): loss \(loss) vs torch \(expectedLoss)")

        var worst: Float = 0
        for t in model.layout.tensors {
            let expected = try #require(expectedGradients[t.name])
            let error = maxRelativeError(model.gradients[t.range], expected.storage)
            worst = max(worst, error)
            #expect(error <= 1e-3, "\(name): \(t.name) gradient max rel. error \(error)")
        }
        print("\(name): worst gradient max rel. error \(worst) over \(model.layout.tensors.count) tensors")
    }

    @Test("gradients do not depend on the thread count")
    func gradientsIndependentOfThreads() throws {
        let fixture = try TrainingFixture("neox_parallel")
        var results: [[Float]] = []
        for threads in [1, 2] {
            try Threads.withCount(threads) {
                let model = try fixture.model()
                model.zeroGradients()
                _ = model.forward(tokens: fixture.tokens, batch: fixture.batch, context: fixture.context, computeGradients: true)
                model.backward()
                results.append(Array(model.gradients))
            }
        }
        #expect(maxRelativeError(results[0], results[1]) <= 1e-5)
    }
}
