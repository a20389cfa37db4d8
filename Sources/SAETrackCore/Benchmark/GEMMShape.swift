/// One sgemm problem for the throughput harness: `C (m, n) = op(A) (m, k) · op(B) (k, n)`,
/// with packed row-major operands.
public struct GEMMShape: Codable, Sendable, Equatable {
    /// What the product is, e.g. `"square 1024"` or `"SAE encoder forward"`.
    public var name: String
    public var m: Int
    public var n: Int
    public var k: Int
    /// A is stored (k, m) and used transposed.
    public var transposeA: Bool
    /// B is stored (n, k) and used transposed.
    public var transposeB: Bool

    public init(name: String, m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false) {
        self.name = name
        self.m = m
        self.n = n
        self.k = k
        self.transposeA = transposeA
        self.transposeB = transposeB
    }

    /// Floating-point operations of one product: 2·m·n·k.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    /// Stored shape of A: (m, k), or (k, m) when transposed.
    public var aShape: (rows: Int, cols: Int) { transposeA ? (k, m) : (m, k) }
    /// Stored shape of B: (k, n), or (n, k) when transposed.
    public var bShape: (rows: Int, cols: Int) { transposeB ? (n, k) : (k, n) }

    /// `"NN"`, `"TN"`, `"NT"` or `"TT"`: op(A) then op(B).
    public var transposeCode: String { (transposeA ? "T" : "N") + (transposeB ? "T" : "N") }

    /// Square products `size³` for each size.
    public static func squares(_ sizes: [Int]) -> [GEMMShape] {
        sizes.map { GEMMShape(name: "square \($0)", m: $0, n: $0, k: $0) }
    }

    /// The four dense products of one SAE training step on a batch of `tokens` activations
    /// with `W_enc (d_in, d_sae)` and `W_dec (d_sae, d_in)` (SAELens layout):
    ///
    ///     encoder forward   pre  (T, d_sae) = x (T, d_in) · W_enc (d_in, d_sae)
    ///     decoder forward   x̂    (T, d_in)  = f (T, d_sae) · W_dec (d_sae, d_in)
    ///     W_enc gradient    dW_enc (d_in, d_sae) = xᵀ · dpre      (x stored (T, d_in))
    ///     W_dec gradient    dW_dec (d_sae, d_in) = fᵀ · dx̂       (f stored (T, d_sae))
    public static func sparseAutoencoderStep(tokens: Int, dIn: Int, dSAE: Int) -> [GEMMShape] {
        [
            GEMMShape(name: "SAE encoder forward", m: tokens, n: dSAE, k: dIn),
            GEMMShape(name: "SAE decoder forward", m: tokens, n: dIn, k: dSAE),
            GEMMShape(name: "SAE W_enc gradient", m: dIn, n: dSAE, k: tokens, transposeA: true),
            GEMMShape(name: "SAE W_dec gradient", m: dSAE, n: dIn, k: tokens, transposeA: true),
        ]
    }
}
