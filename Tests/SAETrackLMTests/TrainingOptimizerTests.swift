import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackLM

/// Five optimisation steps against torch.optim.AdamW + LambdaLR + clip_grad_norm_
/// (fixtures: Tests/Fixtures/train/generate.py).
@Suite("LM training: AdamW, schedule and clipping against torch")
struct TrainingOptimizerTests {
    /// How the step clips: `GradientClipping.clip` then `AdamW.step`, or `AdamW.clipAndStep` (the
    /// coefficient folded into the update; the trainer's path).
    enum ClipForm: CaseIterable { case separate, fused }

    @Test("five AdamW steps reproduce torch's losses to 1e-4",
          arguments: ["neox_parallel", "neox_sequential_tied", "neox_long_context", "gpt2"], ClipForm.allCases)
    func adamWMatchesTorch(_ name: String, _ form: ClipForm) throws {
        let fixture = try TrainingFixture(name)
        let model = try fixture.model()
        let h = fixture.training
        func number(_ key: String) -> Float { (h[key] as! NSNumber).floatValue }
        let betas = h["betas"] as! [NSNumber]
        let steps = h["steps"] as! Int
        var adam = AdamW(layout: model.layout, beta1: betas[0].floatValue, beta2: betas[1].floatValue,
                         epsilon: number("eps"), weightDecay: number("weight_decay"))
        let schedule = LearningRateSchedule(peak: number("lr"), warmupSteps: h["warmup"] as! Int,
                                            totalSteps: steps, minRatio: number("min_lr_ratio"))
        let tokens = try fixture.file.int32s("train_tokens")
        let expected = try fixture.file.floats("adamw_losses")
        let (b, t) = (fixture.batch, fixture.context)
        var norms: [Float] = []
        for s in 0..<steps {
            model.zeroGradients()
            let batch = Array(tokens[(s * b * t)..<((s + 1) * b * t)])
            let loss = model.forward(tokens: batch, batch: b, context: t, computeGradients: true)
            model.backward()
            switch form {
            case .separate:
                norms.append(GradientClipping.clip(model.gradients, maxNorm: number("clip")))
                adam.step(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients),
                          learningRate: schedule.learningRate(at: s))
            case .fused:
                norms.append(adam.clipAndStep(parameters: model.parameters, gradients: UnsafeBufferPointer(model.gradients),
                                              learningRate: schedule.learningRate(at: s), maxNorm: number("clip")))
            }
            #expect(abs(loss - expected[s]) <= 1e-4, "\(name) step \(s): loss \(loss) vs torch \(expected[s])")
        }
        // The clip threshold is low enough that clipping is exercised (the long-context model's
        // gradients stay below it: that case checks the blocked attention, not the clip).
        if name != "neox_long_context" { #expect(norms.contains { $0 > number("clip") }) }
    }

    @Test("warmup rises linearly from peak/warmup, cosine ends at the floor")
    func scheduleShape() {
        let s = LearningRateSchedule(peak: 2e-3, warmupSteps: 50, totalSteps: 600, minRatio: 0.1)
        #expect(abs(s.learningRate(at: 0) - 2e-3 / 50) < 1e-9)
        #expect(abs(s.learningRate(at: 49) - 2e-3) < 1e-9)
        #expect(abs(s.learningRate(at: 325) - 2e-3 * 0.55) < 1e-7)   // half way through the cosine
        #expect(abs(s.learningRate(at: 600) - 2e-4) < 1e-9)
    }

    @Test("no weight decay on biases and LayerNorm parameters")
    func decayGroups() throws {
        let layout = ParameterLayout(.gpt2(GPT2Config(nEmbd: 8, nLayer: 1, nHead: 2, nPositions: 4, vocabSize: 11)))
        let decayed = Set(layout.tensors.filter(\.decays).map(\.name))
        #expect(decayed == ["wte.weight", "wpe.weight", "h.0.attn.c_attn.weight", "h.0.attn.c_proj.weight",
                            "h.0.mlp.c_fc.weight", "h.0.mlp.c_proj.weight"])
    }
}
