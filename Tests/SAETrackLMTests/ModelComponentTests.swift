import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackLM

@Suite("Model components")
struct ModelComponentTests {
    @Test("hook names parse and print as TransformerLens names")
    func hookNamesRoundTrip() throws {
        for hook in HookPoint.all(layers: 3) {
            #expect(try HookPoint(name: hook.name) == hook)
        }
        #expect(try HookPoint(name: "blocks.12.hook_mlp_out") == .mlpOut(12))
        #expect(HookPoint.residPre(4).name == "blocks.4.hook_resid_pre")
        #expect(throws: HookPointError.self) { try HookPoint(name: "blocks.x.hook_resid_pre") }
        #expect(throws: HookPointError.self) { try HookPoint(name: "blocks.1.hook_attn_scores") }
        #expect(throws: HookPointError.self) { try HookPoint(name: "resid_pre") }
        let json = try JSONEncoder().encode([HookPoint.residMid(2)])
        #expect(String(decoding: json, as: UTF8.self) == #"["blocks.2.hook_resid_mid"]"#)
        #expect(try JSONDecoder().decode([HookPoint].self, from: json) == [.residMid(2)])
    }

    @Test("missing and misshapen weights are all listed in one error")
    func weightProblemsListed() throws {
        let f = try ModelFixtures.load("gpt2_tied")
        let dir = try ModelDirectory(f.directory)
        var weights = try dir.loadWeights()
        weights["h.1.mlp.c_fc.bias"] = nil
        weights["ln_f.weight"] = Matrix(rows: 1, cols: 7)
        weights["h.7.attn.c_attn.weight"] = Matrix(rows: 32, cols: 96)
        do {
            _ = try TransformerLM(config: dir.config, weights: weights)
            Issue.record("loading should fail")
        } catch let error as TransformerLMError {
            guard case .weightsDoNotMatchConfig(_, let problems) = error else { Issue.record("\(error)"); return }
            #expect(problems.count == 3)
            #expect(error.description.contains("h.1.mlp.c_fc.bias is missing"))
            #expect(error.description.contains("ln_f.weight is [1, 7], expected [32]"))
            #expect(error.description.contains("h.7.attn.c_attn.weight is not a tensor of this model"))
        }
    }

    @Test("token batches are validated: count, id range, context")
    func tokenValidation() throws {
        let f = try ModelFixtures.load("gpt2_tied")
        let lm = try TransformerLM(directory: f.directory)
        #expect(throws: Never.self) { try lm.validate(tokens: f.tokens, rows: f.rows, context: f.context) }
        #expect(throws: TransformerLMError.tokenCountMismatch(count: 5, rows: 2, context: 3)) {
            try lm.validate(tokens: [1, 2, 3, 4, 5], rows: 2, context: 3)
        }
        #expect(throws: TransformerLMError.tokenOutOfRange(id: 103, position: 1, vocabSize: 103)) {
            try lm.validate(tokens: [1, 103], rows: 1, context: 2)
        }
        let long = [Int32](repeating: 1, count: 33)
        #expect(throws: TransformerLMError.contextTooLong(context: 33, maximum: 32)) {
            try lm.validate(tokens: long, rows: 1, context: 33)
        }
        #expect(throws: TransformerLMError.hookOutOfRange(hook: "blocks.2.hook_resid_pre", layers: 2)) {
            try lm.validate(.residPre(2))
        }
    }

    @Test("rotary inverse undoes the forward rotation and keeps untouched dims", arguments: [QKVLayout.blocked, .interleaved])
    func rotaryInverse(_ layout: QKVLayout) {
        let (rows, context, heads, headDim) = (2, 5, 3, 8)
        let rotary = Rotary(dims: 4, base: 10000, maxPositions: 16)
        var rng = SeededRandom(seed: 7)
        var qkv = [Float](repeating: 0, count: rows * context * 3 * heads * headDim)
        qkv.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
        let original = qkv
        qkv.withUnsafeMutableBufferPointer {
            rotary.rotate($0.baseAddress!, rows: rows, context: context, heads: heads, headDim: headDim, layout: layout)
        }
        #expect(qkv != original)
        // Position 0 (angle 0) and v, and the non-rotated dims 4..<8 of q and k, are unchanged.
        let C = heads * headDim
        for token in 0..<(rows * context) {
            for h in 0..<heads {
                let o = layout.offsets(head: h, headDim: headDim, dModel: C)
                for d in 0..<headDim {
                    let v = token * 3 * C + o.v + d
                    #expect(qkv[v] == original[v])
                    for base in [o.q, o.k] where d >= 4 || token % context == 0 {
                        let i = token * 3 * C + base + d
                        #expect(qkv[i] == original[i])
                    }
                }
            }
        }
        qkv.withUnsafeMutableBufferPointer {
            rotary.rotate($0.baseAddress!, rows: rows, context: context, heads: heads, headDim: headDim,
                          layout: layout, direction: .inverse)
        }
        let maxErr = zip(qkv, original).map { abs($0 - $1) }.max()!
        #expect(maxErr < 1e-5)
    }
}
