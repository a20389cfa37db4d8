import SAETrackIO

/// Everything the forward caches for the backward, plus the backward's scratch, for one (B, T) batch
/// shape (llm.c's `ActivationTensors`). One allocation per buffer, owned here and freed on deinit.
///
/// An inference workspace (`savesForBackward` false) holds one layer of each per-layer buffer, which
/// every layer reuses, two residual slots the layers alternate between, the hook buffers of an
/// unfused layer, and no backward scratch: the layer counts below (L, L+1) are then 1 and 2.
final class TrainingActivations {
    let batch: Int, context: Int
    var rows: Int { batch * context }
    /// Whether every layer keeps its own buffers for the backward.
    let savesForBackward: Bool

    // Forward cache. N = B*T.
    let tokens: UnsafeMutablePointer<Int32>     // (N)
    let targets: UnsafeMutablePointer<Int32>    // (N) next token, −1 at each row's last position
    let residual: UnsafeMutablePointer<Float>   // (L+1, N, C) block inputs; [L] is the last block's output
    let residualMid: UnsafeMutablePointer<Float> // (L, N, C) x + attn(ln1(x)) (sequential residual only)
    let ln1: UnsafeMutablePointer<Float>        // (L, N, C)
    let ln1Mean: UnsafeMutablePointer<Float>    // (L, N)
    let ln1Rstd: UnsafeMutablePointer<Float>    // (L, N)
    let qkv: UnsafeMutablePointer<Float>        // (L, N, 3C) after rotary
    let att: UnsafeMutablePointer<Float>        // (L, B, NH, T, T) probabilities
    let attY: UnsafeMutablePointer<Float>       // (L, N, C) heads' outputs, before the output projection
    let ln2: UnsafeMutablePointer<Float>        // (L, N, C)
    let ln2Mean: UnsafeMutablePointer<Float>    // (L, N)
    let ln2Rstd: UnsafeMutablePointer<Float>    // (L, N)
    let fcPre: UnsafeMutablePointer<Float>      // (L, N, M) gelu'(pre-activation) after a training forward
    let fcAct: UnsafeMutablePointer<Float>      // (L, N, M) after GELU
    let lnf: UnsafeMutablePointer<Float>        // (N, C)
    let lnfMean: UnsafeMutablePointer<Float>    // (N)
    let lnfRstd: UnsafeMutablePointer<Float>    // (N)
    // Hook buffers of a layer run unfused (inference with a visitor inside the layer).
    let attnOut: UnsafeMutablePointer<Float>    // (N, C) attn(ln1(x)) after the output projection
    let mlpOut: UnsafeMutablePointer<Float>     // (N, C) mlp(ln2(·))

    // Backward scratch.
    let dLnf: UnsafeMutablePointer<Float>       // (N, C) gradient of the final LayerNorm output
    let dResidual: UnsafeMutablePointer<Float>  // (N, C) gradient of a block's output (layers alternate
    let dResidualNext: UnsafeMutablePointer<Float> // (N, C)   between these two: input of one, output of the next)
    let dBranch: UnsafeMutablePointer<Float>    // (N, C) residual + MLP-path gradient of the block input / mid
    let dLn: UnsafeMutablePointer<Float>        // (N, C) gradient of the MLP LayerNorm's output
    let dLn1: UnsafeMutablePointer<Float>       // (N, C) gradient of the attention LayerNorm's output
    let dAttY: UnsafeMutablePointer<Float>      // (N, C)
    let dqkv: UnsafeMutablePointer<Float>       // (N, 3C)
    let dAtt: UnsafeMutablePointer<Float>       // (B, NH, T, T)
    let dFc: UnsafeMutablePointer<Float>        // (N, M)
    /// (chunk rows, V) logits / dlogits of the fused head, allocated by the first pass that reaches the head.
    var headScratch: UnsafeMutablePointer<Float> {
        if let p = head { return p }
        let count = UnembeddingCrossEntropy.chunkRows(rows: rows, vocab: vocab) * vocab
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        p.initialize(repeating: 0, count: max(count, 1))
        owned.append(UnsafeMutableRawPointer(p))
        head = p
        return p
    }
    private var head: UnsafeMutablePointer<Float>?
    private let vocab: Int
    let ones: UnsafeMutablePointer<Float>       // (N) all 1: the bias gradients' GEMV operand

    private var owned: [(UnsafeMutableRawPointer)] = []

    init(_ a: ModelConfig, batch: Int, context: Int, savesForBackward: Bool = true) {
        self.batch = batch
        self.context = context
        self.savesForBackward = savesForBackward
        let (C, M, NH) = (a.dModel, a.dMLP, a.nHeads)
        let L = savesForBackward ? a.nLayers : 1
        let n = batch * context
        let back = savesForBackward ? 1 : 0                  // the backward scratch, or none
        let attention = batch * NH * context * context
        var owned: [UnsafeMutableRawPointer] = []
        func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))   // every reader of a buffer writes it first; zeroed anyway
            owned.append(UnsafeMutableRawPointer(p))
            return p
        }
        func ints(_ count: Int) -> UnsafeMutablePointer<Int32> {
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            owned.append(UnsafeMutableRawPointer(p))
            return p
        }
        tokens = ints(n); targets = ints(n)
        residual = floats((L + 1) * n * C)
        residualMid = floats(a.parallelResidual && savesForBackward ? 0 : L * n * C)
        ln1 = floats(L * n * C); ln1Mean = floats(L * n); ln1Rstd = floats(L * n)
        qkv = floats(L * n * 3 * C); att = floats(L * attention); attY = floats(L * n * C)
        ln2 = floats(L * n * C); ln2Mean = floats(L * n); ln2Rstd = floats(L * n)
        fcPre = floats(L * n * M); fcAct = floats(L * n * M)
        lnf = floats(n * C); lnfMean = floats(n); lnfRstd = floats(n)
        attnOut = floats(savesForBackward ? 0 : n * C); mlpOut = floats(savesForBackward ? 0 : n * C)
        dLnf = floats(back * n * C); dResidual = floats(back * n * C); dResidualNext = floats(back * n * C)
        dBranch = floats(back * n * C); dLn = floats(back * n * C); dLn1 = floats(back * n * C)
        dAttY = floats(back * n * C); dqkv = floats(back * n * 3 * C); dAtt = floats(back * attention)
        dFc = floats(back * n * M)
        vocab = a.vocabSize
        ones = floats(back * n)
        ones.update(repeating: 1, count: back * n)
        self.owned = owned
    }

    deinit { for p in owned { p.deallocate() } }
}
