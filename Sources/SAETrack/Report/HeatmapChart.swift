import Foundation

/// A heatmap: one row per series, one column per checkpoint (equally spaced, labelled with
/// step numbers), colour = value on a fixed range with a colour bar. Used where line charts
/// would need more than a handful of distinguishable colours (e.g. two dozen planted labels).
public struct HeatmapChart {
    public var title: String?
    /// Row names, top to bottom.
    public var rows: [String]
    /// Column labels (checkpoint steps), left to right.
    public var columns: [Int]
    /// values[row][column]; nil or non-finite cells are drawn hatched grey ("n/a").
    public var values: [[Double?]]
    /// Colour range: `range.lowerBound` maps to the light end, `upperBound` to the dark end.
    public var range: ClosedRange<Double>
    /// Cells to outline (row, column), e.g. where a planted label first counts as formed.
    public var outlined: Set<[Int]>
    public var outlineLegend: String?
    public var valueName: String
    public var xLabel: String
    public var width: Double

    public init(title: String? = nil, rows: [String], columns: [Int], values: [[Double?]], range: ClosedRange<Double>,
                outlined: Set<[Int]> = [], outlineLegend: String? = nil, valueName: String, xLabel: String = "Training step",
                width: Double = 760) {
        self.title = title; self.rows = rows; self.columns = columns; self.values = values; self.range = range
        self.outlined = outlined; self.outlineLegend = outlineLegend; self.valueName = valueName; self.xLabel = xLabel
        self.width = width
    }

    /// Sequential colour for t in [0, 1]: pale yellow → green → dark blue (viridis-like, reversed).
    public static func color(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(255, 255, 217), (199, 233, 180), (127, 205, 187), (65, 182, 196),
                                                 (29, 145, 192), (34, 94, 168), (12, 44, 132)]
        let x = min(1, max(0, t)) * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(x)), f = x - Double(i)
        let a = stops[i], b = stops[i + 1]
        let c = [a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f].map { Int($0.rounded()) }
        return "#" + c.map { String(format: "%02x", $0) }.joined()
    }

    /// The chart as an `<svg>` element; `id` must be unique within the page.
    public func svg(id: String) -> String {
        let rowH = 16.0
        let labelW = min(230, 12 + 6.3 * Double(rows.map(\.count).max() ?? 4))
        let left = labelW + 8, top = title == nil ? 10.0 : 30.0
        let barW = 70.0
        let plotW = max(60, width - left - barW - 24)
        let cellW = plotW / Double(max(1, columns.count))
        let plotH = rowH * Double(rows.count)
        let height = top + plotH + 52
        var svg = SVGCanvas(width: width, height: height, chart: id)
        if let title { svg.text(title, x: left + plotW / 2, y: 19, size: 13, anchor: "middle", color: Palette.text, weight: "600") }
        svg.raw("<g class=\"data\">")
        for (r, row) in values.enumerated() {
            for (c, v) in row.enumerated() where c < columns.count {
                let x = left + Double(c) * cellW, y = top + Double(r) * rowH
                let name = r < rows.count ? rows[r] : "row \(r)"
                if let v, v.isFinite {
                    let t = (v - range.lowerBound) / (range.upperBound - range.lowerBound)
                    svg.rect(x, y, cellW + 0.3, rowH + 0.3, fill: Self.color(t),
                             hover: "\(name), step \(columns[c]): \(valueName) \(LineChart.value(v))")
                } else {
                    svg.rect(x, y, cellW + 0.3, rowH + 0.3, fill: "#eeeeee", hover: "\(name), step \(columns[c]): n/a")
                }
            }
        }
        // Row by row, left to right: a Set's order changes from run to run (hash seeding).
        for cell in outlined.sorted(by: { $0.lexicographicallyPrecedes($1) }) where cell.count == 2 && cell[0] < rows.count && cell[1] < columns.count {
            let x = left + Double(cell[1]) * cellW, y = top + Double(cell[0]) * rowH
            svg.raw("<rect x=\"\(SVGCanvas.number(x + 1))\" y=\"\(SVGCanvas.number(y + 1))\" width=\"\(SVGCanvas.number(cellW - 2))\" height=\"\(SVGCanvas.number(rowH - 2))\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\"/>")
        }
        svg.raw("</g>")
        for (r, name) in rows.enumerated() {
            svg.text(name, x: left - 6, y: top + Double(r) * rowH + rowH / 2 + 3.5, size: 10.5, anchor: "end", color: Palette.text)
        }
        // Column labels, thinned so they stay ≥ 34 px apart; always the first and the last.
        let every = max(1, Int((34 / cellW).rounded(.up)))
        for (c, step) in columns.enumerated() where c % every == 0 || c == columns.count - 1 {
            if c == columns.count - 1 && c % every != 0 && (c % every) * Int(cellW) < 28 { continue }
            let x = left + (Double(c) + 0.5) * cellW
            svg.line(x, top + plotH, x, top + plotH + 4, stroke: Palette.axis)
            svg.text(String(step), x: x, y: top + plotH + 16, size: 10, anchor: "middle", color: Palette.text)
        }
        svg.text(xLabel + " (one column per checkpoint)", x: left + plotW / 2, y: top + plotH + 34, size: 12, anchor: "middle", color: Palette.text)
        // Colour bar.
        let bx = left + plotW + 18, bh = min(160, max(60, plotH))
        for k in 0..<40 {
            let t = Double(39 - k) / 39
            svg.rect(bx, top + Double(k) * bh / 40, 12, bh / 40 + 0.3, fill: Self.color(t))
        }
        svg.text(LineChart.value(range.upperBound), x: bx + 16, y: top + 8, size: 10, color: Palette.text)
        svg.text(LineChart.value(range.lowerBound), x: bx + 16, y: top + bh, size: 10, color: Palette.text)
        svg.text(valueName, x: bx, y: top + bh + 14, size: 10, color: Palette.muted)
        if let outlineLegend {
            svg.raw("<rect x=\"\(SVGCanvas.number(bx))\" y=\"\(SVGCanvas.number(top + bh + 22))\" width=\"12\" height=\"10\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\"/>")
            svg.text(outlineLegend, x: bx + 16, y: top + bh + 31, size: 10, color: Palette.muted)
        }
        return svg.render()
    }
}
