import SAETrackIO

/// Everything the forward caches for the backward, plus the backward's scratch, for one (B, T) batch
/// shape (llm.c's `ActivationTensors`). One allocation per buffer, owned here and freed on deinit.
final class TrainingActivations {
    let batch: Int, context: Int
    var rows: Int { batch * context }

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
    let headScratch: UnsafeMutablePointer<Float> // (chunk rows, V) logits / dlogits of the fused head
    let ones: UnsafeMutablePointer<Float>       // (N) all 1: the bias gradients' GEMV operand

    private var owned: [(UnsafeMutableRawPointer)] = []

    init(_ a: ModelConfig, batch: Int, context: Int) {
        self.batch = batch
        self.context = context
        let (L, C, M, NH) = (a.nLayers, a.dModel, a.dMLP, a.nHeads)
        let n = batch * context
        let attention = batch * NH * context * context
        var owned: [UnsafeMutableRawPointer] = []
        func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
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
        residualMid = floats(a.parallelResidual ? 0 : L * n * C)
        ln1 = floats(L * n * C); ln1Mean = floats(L * n); ln1Rstd = floats(L * n)
        qkv = floats(L * n * 3 * C); att = floats(L * attention); attY = floats(L * n * C)
        ln2 = floats(L * n * C); ln2Mean = floats(L * n); ln2Rstd = floats(L * n)
        fcPre = floats(L * n * M); fcAct = floats(L * n * M)
        lnf = floats(n * C); lnfMean = floats(n); lnfRstd = floats(n)
        dLnf = floats(n * C); dResidual = floats(n * C); dResidualNext = floats(n * C); dBranch = floats(n * C)
        dLn = floats(n * C); dLn1 = floats(n * C)
        dAttY = floats(n * C); dqkv = floats(n * 3 * C); dAtt = floats(attention); dFc = floats(n * M)
        headScratch = floats(UnembeddingCrossEntropy.chunkRows(rows: n, vocab: a.vocabSize) * a.vocabSize)
        ones = floats(n)
        ones.update(repeating: 1, count: n)
        self.owned = owned
    }

    deinit { for p in owned { p.deallocate() } }
}
