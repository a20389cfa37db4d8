import Foundation
import Testing
@testable import SAETrackIO

/// transformers' own parse of each fixture config (configs/expected.json) is the oracle.
@Test("GPT-2 small, Pythia-70m/410m (legacy and rope_parameters forms) decode as transformers reads them",
      arguments: ["gpt2-small.json", "pythia-70m.json", "pythia-410m.json", "pythia-70m-rope-parameters.json",
                  "pythia-both-rotary-forms.json", "gpt2-variant.json", "neox-variant.json"])
func configMatchesTransformers(_ name: String) throws {
    let expected = try IOFixtures.json("configs/expected.json")[name] as! [String: Any]
    let c = try ModelConfig.load(from: IOFixtures.url("configs/\(name)"))
    #expect(c.modelType == expected["model_type"] as! String)
    #expect(c.dModel == expected["d_model"] as! Int)
    #expect(c.nLayers == expected["n_layers"] as! Int)
    #expect(c.nHeads == expected["n_heads"] as! Int)
    #expect(c.vocabSize == expected["vocab_size"] as! Int)
    #expect(c.contextLength == expected["context_length"] as! Int)
    #expect(c.dMLP == expected["d_mlp"] as! Int)
    #expect(c.layerNormEpsilon == Float(expected["layer_norm_epsilon"] as! Double))
    #expect(c.activation == ActivationFunction(huggingFaceName: expected["activation"] as! String))
    #expect(c.tiedEmbeddings == expected["tied"] as! Bool)
    #expect(c.bosTokenID == expected["bos_token_id"] as? Int)
    #expect(c.parallelResidual == expected["parallel_residual"] as! Bool)
    #expect(c.rotaryDims == expected["rotary_dims"] as! Int)
    #expect(c.rotaryBase == expected["rotary_base"] as? Double)
    if case .gpt2(let g) = c {
        #expect(g.scaleAttnByInverseLayerIdx == expected["scale_attn_by_inverse_layer_idx"] as! Bool)
    }
}

@Test("Pythia-70m's two rotary forms normalise to the same config")
func rotaryFormsAgree() throws {
    let legacy = try ModelConfig.load(from: IOFixtures.url("configs/pythia-70m.json"))
    let modern = try ModelConfig.load(from: IOFixtures.url("configs/pythia-70m-rope-parameters.json"))
    guard case .gptNeoX(let a) = legacy, case .gptNeoX(let b) = modern else { Issue.record("not NeoX"); return }
    #expect(a.rotaryPct == 0.25 && b.rotaryPct == 0.25)
    #expect(a.rotaryEmbBase == 10000 && b.rotaryEmbBase == 10000)
    #expect(legacy.rotaryDims == 16)
    #expect(a.hiddenAct == "gelu" && legacy.activation == .geluExact)
}

@Test("encoding then decoding a config gives it back, n_inner null included")
func configRoundTrip() throws {
    for name in ["gpt2-small.json", "gpt2-variant.json", "pythia-410m.json", "neox-variant.json"] {
        let c = try ModelConfig.load(from: IOFixtures.url("configs/\(name)"))
        let back = try ModelConfig.decode(c.jsonData(), file: name)
        #expect(back == c, "\(name)")
    }
    let small = try ModelConfig.load(from: IOFixtures.url("configs/gpt2-small.json"))
    let json = try JSONSerialization.jsonObject(with: small.jsonData()) as! [String: Any]
    #expect(json["n_inner"] is NSNull)
    #expect(json["model_type"] as? String == "gpt2")
}

@Test("bad configs are rejected with the specific error naming the file")
func badConfigs() throws {
    func error(_ name: String) -> ModelConfigError? {
        do { _ = try ModelConfig.load(from: IOFixtures.url("configs/\(name)")); return nil } catch {
            return error as? ModelConfigError
        }
    }
    let path = { (n: String) in IOFixtures.url("configs/\(n)").path }
    #expect(error("bad-unknown-model-type.json") == .unknownModelType(file: path("bad-unknown-model-type.json"), modelType: "llama"))
    #expect(error("bad-missing-model-type.json") == .missingModelType(file: path("bad-missing-model-type.json")))
    #expect(error("bad-activation.json") == .unsupportedActivation(file: path("bad-activation.json"), key: "activation_function", value: "swiglu"))
    guard case .invalidField(_, "n_head", _)? = error("bad-heads.json") else { Issue.record("bad-heads"); return }
    guard case .invalidField(_, "hidden_size", _)? = error("bad-type.json") else { Issue.record("bad-type"); return }
    guard case .unsupportedRope? = error("bad-rope-type.json") else { Issue.record("bad-rope"); return }
    guard case .notJSONObject? = error("bad-not-json.json") else { Issue.record("bad-json"); return }
    #expect(ModelConfigError.unknownModelType(file: "c.json", modelType: "llama").description.contains("c.json"))
}

@Test("a config without a shape-defining key is an error naming the key and the file, never transformers' default",
      arguments: [("pythia-70m.json", "hidden_size"), ("pythia-70m.json", "num_hidden_layers"), ("pythia-70m.json", "num_attention_heads"),
                  ("pythia-70m.json", "intermediate_size"), ("pythia-70m.json", "vocab_size"), ("gpt2-small.json", "n_embd"),
                  ("gpt2-small.json", "n_layer"), ("gpt2-small.json", "n_head"), ("gpt2-small.json", "vocab_size")])
func missingShapeKey(_ file: String, _ key: String) throws {
    var json = try IOFixtures.json("configs/\(file)")
    json.removeValue(forKey: key)
    let data = try JSONSerialization.data(withJSONObject: json)
    #expect(throws: ModelConfigError.missingKey(file: "cfg/config.json", key: key,
                                                architecture: file.hasPrefix("gpt2") ? "GPT-2" : "GPT-NeoX")) {
        _ = try ModelConfig.decode(data, file: "cfg/config.json")
    }
    let message = ModelConfigError.missingKey(file: "cfg/config.json", key: key, architecture: "GPT-NeoX").description
    #expect(message.contains("cfg/config.json") && message.contains("\"\(key)\""))
}

@Test("GPT-2 n_positions may be given as n_ctx; with neither the key is named")
func gpt2Positions() throws {
    var json = try IOFixtures.json("configs/gpt2-small.json")
    json.removeValue(forKey: "n_positions")
    #expect(try ModelConfig.decode(JSONSerialization.data(withJSONObject: json), file: "c").contextLength == 1024)
    json.removeValue(forKey: "n_ctx")
    #expect(throws: ModelConfigError.missingKey(file: "c", key: "n_ctx", architecture: "GPT-2")) {
        _ = try ModelConfig.decode(JSONSerialization.data(withJSONObject: json), file: "c")
    }
}

@Test("a config built in code that transformers would refuse (3 heads for width 32) fails validate(source:)")
func validateBuiltConfig() throws {
    let neox = ModelConfig.gptNeoX(GPTNeoXConfig(hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 3, vocabSize: 10))
    #expect(throws: ModelConfigError.self) { try neox.validate(source: "flags") }
    let gpt2 = ModelConfig.gpt2(GPT2Config(nEmbd: 32, nLayer: 1, nHead: 3, nPositions: 8, vocabSize: 10))
    do { try gpt2.validate(source: "flags"); Issue.record("accepted") } catch let e as ModelConfigError {
        guard case .invalidField("flags", "n_head", _) = e else { Issue.record("\(e)"); return }
    }
    try ModelConfig.gptNeoX(GPTNeoXConfig(hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 4, vocabSize: 10)).validate(source: "flags")
}
