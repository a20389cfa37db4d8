/// Head h's query, key and value columns in one token's fused QKV row (3C wide), for the training
/// kernels: the inference model's ``QKVLayout`` (`.interleaved` for GPT-NeoX, `.blocked` for GPT-2)
/// bound to a head count and width.
struct HeadColumns: Sendable {
    let heads: Int
    let headDim: Int
    let layout: QKVLayout

    init(_ a: LMTrainingArchitecture) {
        heads = a.heads
        headDim = a.headDim
        layout = a.family == .gptNeoX ? .interleaved : .blocked
    }

    /// Width of a fused row, 3C.
    var rowWidth: Int { 3 * heads * headDim }
    /// Column of head h's query.
    func query(_ h: Int) -> Int { layout.offsets(head: h, headDim: headDim, dModel: heads * headDim).q }
    /// Column of head h's key.
    func key(_ h: Int) -> Int { layout.offsets(head: h, headDim: headDim, dModel: heads * headDim).k }
    /// Column of head h's value.
    func value(_ h: Int) -> Int { layout.offsets(head: h, headDim: headDim, dModel: heads * headDim).v }
}
