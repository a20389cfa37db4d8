import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackLM

/// SAETrackLM's forward pass against transformers (PyTorch CPU, float32) on the tiny models of
/// Tests/Fixtures/lm: every hook point, the logits and the loss, max relative error ≤ 1e-4
/// (relative error = max|a − b| / max|b|, see ``maxRelativeError(_:_:)``).
@Suite("Model forward vs transformers")
struct ModelForwardTests {
    static let tolerance: Float = 1e-4

    @Test("every hook point matches transformers", arguments: ModelFixtures.names)
    func everyHookMatches(_ name: String) throws {
        let f = try ModelFixtures.load(name)
        let lm = try TransformerLM(directory: f.directory)
        var seen: [HookPoint: Matrix] = [:]
        let final = lm.forward(tokens: f.tokens, rows: f.rows, context: f.context) { hook, value in
            seen[hook] = value
            return .proceed
        }
        #expect(final != nil)
        #expect(seen.count == 5 * lm.layers)
        for hook in HookPoint.all(layers: lm.layers) {
            let err = maxRelativeError(try #require(seen[hook]), try f.expected(hook.name))
            #expect(err <= Self.tolerance, "\(name) \(hook): max relative error \(err)")
        }
    }

    @Test("logits and loss match transformers", arguments: ModelFixtures.names, SIMDMath.KernelForm.allCases)
    func logitsAndLossMatch(_ name: String, _ form: SIMDMath.KernelForm) throws {
        // .portable: the libm softmax / GELU loops, whatever the CPU has
        try SIMDMath.withKernelForm(form) { try logitsAndLossMatch(name) }
    }

    private func logitsAndLossMatch(_ name: String) throws {
        let f = try ModelFixtures.load(name)
        let lm = try TransformerLM(directory: f.directory)
        let logits = lm.logits(tokens: f.tokens, rows: f.rows, context: f.context)
        #expect(logits.cols == lm.config.vocabSize)
        let err = maxRelativeError(logits, try f.expected("logits"))
        #expect(err <= Self.tolerance, "\(name) logits: max relative error \(err)")
        let loss = lm.loss(tokens: f.tokens, rows: f.rows, context: f.context)
        let lossErr = relativeError(loss, try f.expectedScalar("loss"))
        #expect(lossErr <= Self.tolerance, "\(name) loss \(loss): relative error \(lossErr)")
    }

    @Test("centered resid_pre equals TransformerLens's (centred writing weights)", arguments: ModelFixtures.names)
    func centeredMatchesTransformerLens(_ name: String) throws {
        let f = try ModelFixtures.load(name)
        let lm = try TransformerLM(directory: f.directory)
        for layer in 0..<lm.layers {
            let acts = lm.activations(tokens: f.tokens, rows: f.rows, context: f.context, at: .residPre(layer), centered: true)
            let err = maxRelativeError(acts, try f.expected("centered.blocks.\(layer).hook_resid_pre"))
            #expect(err <= Self.tolerance, "\(name) layer \(layer): max relative error \(err)")
        }
    }

    @Test("a run asked for one hook gives exactly the full run's values", arguments: ModelFixtures.names)
    func stopAtLayerIsIdentical(_ name: String) throws {
        let f = try ModelFixtures.load(name)
        let lm = try TransformerLM(directory: f.directory)
        var full: [HookPoint: Matrix] = [:]
        _ = lm.forward(tokens: f.tokens, rows: f.rows, context: f.context) { hook, value in
            full[hook] = value
            return .proceed
        }
        for hook in HookPoint.all(layers: lm.layers) {
            let early = lm.activations(tokens: f.tokens, rows: f.rows, context: f.context, at: hook, centered: false)
            #expect(early == full[hook], "\(name) \(hook)")
        }
    }

    @Test("passes on several threads at once each get their own workspace: the same bits as one at a time")
    func concurrentPassesAgree() throws {
        let f = try ModelFixtures.load("neox_parallel")
        let lm = try TransformerLM(directory: f.directory)
        let hooks = HookPoint.all(layers: lm.layers)
        let serial = hooks.map { lm.activations(tokens: f.tokens, rows: f.rows, context: f.context, at: $0, centered: false) }
        let serialLoss = lm.loss(tokens: f.tokens, rows: f.rows, context: f.context)
        let results = UnsafeMutableBufferPointer<Matrix?>.allocate(capacity: hooks.count * 4)
        results.initialize(repeating: nil)
        let losses = UnsafeMutableBufferPointer<Float>.allocate(capacity: hooks.count * 4)
        losses.initialize(repeating: .nan)
        defer { results.deallocate(); losses.deallocate() }
        DispatchQueue.concurrentPerform(iterations: hooks.count * 4) { i in
            // alternate hook extractions and full loss passes, so workspaces of one shape are shared out
            results[i] = lm.activations(tokens: f.tokens, rows: f.rows, context: f.context, at: hooks[i % hooks.count],
                                        centered: false)
            losses[i] = lm.loss(tokens: f.tokens, rows: f.rows, context: f.context)
        }
        for i in 0..<(hooks.count * 4) {
            #expect(results[i] == serial[i % hooks.count], "pass \(i) at \(hooks[i % hooks.count])")
            #expect(losses[i] == serialLoss, "pass \(i): loss")
        }
    }

    @Test("a run asked for one hook stops after that hook")
    func hookRunStopsEarly() throws {
        let f = try ModelFixtures.load("neox_parallel")
        let lm = try TransformerLM(directory: f.directory)
        var visited: [HookPoint] = []
        var captured: Matrix?
        let result = lm.forward(tokens: f.tokens, rows: f.rows, context: f.context) { hook, value in
            visited.append(hook)
            if hook == .attnOut(1) { captured = value; return .stop }
            return .proceed
        }
        #expect(result == nil)
        #expect(captured != nil)
        #expect(visited == Array(HookPoint.all(layers: lm.layers).prefix(7)))
    }

    @Test("loss with a hook replaced: identity gives the clean loss, zeros match torch's zero ablation",
          arguments: ModelFixtures.names)
    func replacedHookLoss(_ name: String) throws {
        let f = try ModelFixtures.load(name)
        let lm = try TransformerLM(directory: f.directory)
        let clean = lm.loss(tokens: f.tokens, rows: f.rows, context: f.context)
        for hookName in ["blocks.1.hook_resid_pre", "blocks.0.hook_attn_out", "blocks.1.hook_mlp_out"] {
            let hook = try HookPoint(name: hookName)
            let identity = lm.loss(tokens: f.tokens, rows: f.rows, context: f.context, replacing: hook) { $0 }
            #expect(identity == clean, "\(name) \(hookName): identity replacement changed the loss")
            let zero = lm.loss(tokens: f.tokens, rows: f.rows, context: f.context, replacing: hook) {
                Matrix(rows: $0.rows, cols: $0.cols)
            }
            let err = relativeError(zero, try f.expectedScalar("zero_ablation.\(hookName)"))
            #expect(err <= Self.tolerance, "\(name) \(hookName): zero-ablation loss \(zero), relative error \(err)")
            #expect(abs(zero - clean) > 1e-3, "\(name) \(hookName): zero ablation should change the loss")
        }
    }

    @Test("centered replacement: identity on centred activations still gives the clean loss")
    func centeredReplacementKeepsLoss() throws {
        let f = try ModelFixtures.load("gpt2_scaled_untied")
        let lm = try TransformerLM(directory: f.directory)
        let clean = lm.loss(tokens: f.tokens, rows: f.rows, context: f.context)
        let centered = lm.loss(tokens: f.tokens, rows: f.rows, context: f.context, replacing: .residPre(2), centered: true) { $0 }
        #expect(relativeError(centered, clean) <= 1e-5)
    }
}
