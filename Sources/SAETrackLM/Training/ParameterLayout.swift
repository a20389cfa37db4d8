/// Where each named parameter tensor lives in one flat buffer (llm.c's `malloc_and_point_parameters`).
///
/// Parameters, gradients and both AdamW moments share this layout, so the optimizer and the
/// gradient-norm clip are single passes over flat memory, and a checkpoint is the buffer sliced by name.
/// Names and shapes are Hugging Face's: GPT-NeoX as in `GPTNeoXForCausalLM`, GPT-2 without the
/// `transformer.` prefix; 1-D tensors have `shape.count == 1`.
public struct ParameterLayout: Sendable {
    /// One named tensor inside the flat buffer.
    public struct Tensor: Sendable, Equatable {
        /// The Hugging Face state-dict name.
        public var name: String
        /// The Hugging Face shape (`[rows, cols]` or `[n]`).
        public var shape: [Int]
        /// First element in the flat buffer.
        public var offset: Int
        /// What the tensor is, for initialisation and weight-decay grouping.
        public var role: Role
        /// Number of elements.
        public var count: Int { shape.reduce(1, *) }
        /// Elements `offset ..< offset + count`.
        public var range: Range<Int> { offset..<(offset + count) }
        /// AdamW decays matrices and embeddings, never biases or LayerNorm parameters.
        public var decays: Bool { role == .weight || role == .residualOutputWeight || role == .embedding }
    }

    /// The kind of a parameter tensor.
    public enum Role: Sendable, Equatable {
        /// A projection matrix, initialised normal(0, initializer_range).
        case weight
        /// GPT-2's `c_proj` weights, initialised normal(0, initializer_range / √(2L)) as transformers does.
        case residualOutputWeight
        /// A token or position embedding (or the untied unembedding), normal(0, initializer_range).
        case embedding
        /// A bias, zero at init.
        case bias
        /// LayerNorm gain, one at init.
        case normWeight
        /// LayerNorm bias, zero at init.
        case normBias
    }

    /// Offsets of one block's tensors (see ``LMTrainingArchitecture`` for the shapes).
    public struct Block: Sendable {
        public var ln1Weight, ln1Bias: Int          // (C)
        public var qkvWeight: Int                   // NeoX (3C, C) / GPT-2 (C, 3C)
        public var qkvBias: Int?                    // (3C); nil without attention biases
        public var attnOutWeight: Int               // (C, C)
        public var attnOutBias: Int?                // (C)
        public var ln2Weight, ln2Bias: Int          // (C)
        public var fcWeight, fcBias: Int            // NeoX (M, C) / GPT-2 (C, M); (M)
        public var fcOutWeight, fcOutBias: Int      // NeoX (C, M) / GPT-2 (M, C); (C)
    }

    /// Every tensor in buffer order.
    public private(set) var tensors: [Tensor] = []
    /// Total number of floats.
    public private(set) var count = 0
    /// Token embedding (V, C).
    public private(set) var tokenEmbedding = 0
    /// Learned positions (P, C), GPT-2 only.
    public private(set) var positionEmbedding: Int?
    /// Per-block offsets.
    public private(set) var blocks: [Block] = []
    /// Final LayerNorm gain and bias (C).
    public private(set) var finalNormWeight = 0, finalNormBias = 0
    /// Unembedding (V, C): `embed_out.weight`, or the token embedding when tied.
    public private(set) var unembedding = 0

    private var index: [String: Int] = [:]

    /// The layout of `architecture`'s parameters, in a fixed order.
    public init(_ a: LMTrainingArchitecture) {
        let (C, M, V, L) = (a.dModel, a.dMLP, a.vocabSize, a.layers)
        let neox = a.family == .gptNeoX
        let prefix = neox ? "gpt_neox.layers" : "h"
        // NeoX uses nn.Linear (out, in); GPT-2 uses Conv1D (in, out).
        func linear(_ inputs: Int, _ outputs: Int) -> [Int] { neox ? [outputs, inputs] : [inputs, outputs] }

        tokenEmbedding = add(neox ? "gpt_neox.embed_in.weight" : "wte.weight", [V, C], .embedding)
        if !neox { positionEmbedding = add("wpe.weight", [a.maxPositions, C], .embedding) }
        let outRole: Role = neox ? .weight : .residualOutputWeight
        for l in 0..<L {
            let p = "\(prefix).\(l)."
            let names = neox
                ? (ln1: "input_layernorm", qkv: "attention.query_key_value", out: "attention.dense",
                   ln2: "post_attention_layernorm", fc: "mlp.dense_h_to_4h", fcOut: "mlp.dense_4h_to_h")
                : (ln1: "ln_1", qkv: "attn.c_attn", out: "attn.c_proj", ln2: "ln_2", fc: "mlp.c_fc", fcOut: "mlp.c_proj")
            let ln1w = add(p + names.ln1 + ".weight", [C], .normWeight)
            let ln1b = add(p + names.ln1 + ".bias", [C], .normBias)
            let qkvw = add(p + names.qkv + ".weight", linear(C, 3 * C), .weight)
            let qkvb = a.attentionBias ? add(p + names.qkv + ".bias", [3 * C], .bias) : nil
            let outw = add(p + names.out + ".weight", linear(C, C), outRole)
            let outb = a.attentionBias ? add(p + names.out + ".bias", [C], .bias) : nil
            let ln2w = add(p + names.ln2 + ".weight", [C], .normWeight)
            let ln2b = add(p + names.ln2 + ".bias", [C], .normBias)
            let fcw = add(p + names.fc + ".weight", linear(C, M), .weight)
            let fcb = add(p + names.fc + ".bias", [M], .bias)
            let fow = add(p + names.fcOut + ".weight", linear(M, C), outRole)
            let fob = add(p + names.fcOut + ".bias", [C], .bias)
            blocks.append(Block(ln1Weight: ln1w, ln1Bias: ln1b, qkvWeight: qkvw, qkvBias: qkvb,
                                attnOutWeight: outw, attnOutBias: outb, ln2Weight: ln2w, ln2Bias: ln2b,
                                fcWeight: fcw, fcBias: fcb, fcOutWeight: fow, fcOutBias: fob))
        }
        finalNormWeight = add(neox ? "gpt_neox.final_layer_norm.weight" : "ln_f.weight", [C], .normWeight)
        finalNormBias = add(neox ? "gpt_neox.final_layer_norm.bias" : "ln_f.bias", [C], .normBias)
        unembedding = a.tiedEmbeddings ? tokenEmbedding : add(neox ? "embed_out.weight" : "lm_head.weight", [V, C], .embedding)
    }

    /// The tensor called `name`, if the layout has one.
    public func tensor(named name: String) -> Tensor? { index[name].map { tensors[$0] } }

    private mutating func add(_ name: String, _ shape: [Int], _ role: Role) -> Int {
        let t = Tensor(name: name, shape: shape, offset: count, role: role)
        index[name] = tensors.count
        tensors.append(t)
        count += t.count
        return t.offset
    }
}
