/// Colours of the report: matplotlib's tab10 (categorical series), then tab20's light
/// variants, so figures look like the paper's.
public enum Palette {
    /// The categorical cycle.
    public static let categorical = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
        "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
    ]

    /// The i-th categorical colour (cycling).
    public static func color(_ i: Int) -> String { categorical[((i % categorical.count) + categorical.count) % categorical.count] }

    /// Axis, grid and text greys.
    public static let axis = "#444"
    public static let grid = "#e6e6e6"
    public static let text = "#222"
    public static let muted = "#777"

    /// A colour along a sequential blue→dark-red ramp for t in [0, 1] (early→late checkpoints).
    public static func ramp(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(49, 54, 149), (69, 117, 180), (116, 173, 209), (253, 174, 97), (215, 48, 39), (165, 0, 38)]
        let x = min(1, max(0, t)) * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(x))
        let f = x - Double(i)
        let c = (0..<3).map { k -> Int in
            let a = [stops[i].0, stops[i].1, stops[i].2][k], b = [stops[i + 1].0, stops[i + 1].1, stops[i + 1].2][k]
            return Int((a + (b - a) * f).rounded())
        }
        return "#" + c.map { String(format: "%02x", $0) }.joined()
    }
}
