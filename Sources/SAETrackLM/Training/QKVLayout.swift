/// Where head h's query, key and value columns sit inside one token's fused QKV row (3C wide).
///
/// GPT-NeoX interleaves per head (`(NH, 3, hd)`: q = `[h·3hd, +hd)`, k next, v next); GPT-2 stores
/// `[Q (all heads) | K | V]` (q = `[h·hd, +hd)`, k at `C + h·hd`, v at `2C + h·hd`).
struct QKVLayout: Sendable {
    let heads: Int
    let headDim: Int
    let interleaved: Bool

    init(_ a: LMTrainingArchitecture) {
        heads = a.heads
        headDim = a.headDim
        interleaved = a.family == .gptNeoX
    }

    /// Width of a fused row, 3C.
    var rowWidth: Int { 3 * heads * headDim }
    /// Column of head h's query.
    func query(_ h: Int) -> Int { interleaved ? h * 3 * headDim : h * headDim }
    /// Column of head h's key.
    func key(_ h: Int) -> Int { interleaved ? h * 3 * headDim + headDim : (heads + h) * headDim }
    /// Column of head h's value.
    func value(_ h: Int) -> Int { interleaved ? h * 3 * headDim + 2 * headDim : (2 * heads + h) * headDim }
}
