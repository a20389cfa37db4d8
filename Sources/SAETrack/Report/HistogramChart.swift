import Foundation

/// One histogram: bin edges (count + 1 values) and counts.
public struct HistogramSeries: Codable, Equatable {
    public var name: String
    public var edges: [Double]
    public var counts: [Double]
    public var color: String?
    public init(name: String, edges: [Double], counts: [Double], color: String? = nil) {
        self.name = name; self.edges = edges; self.counts = counts; self.color = color
    }

    /// Bins `values` into `bins` equal bins over `range` (values outside are clamped to the end bins).
    public static func binning(_ values: [Double], name: String, bins: Int, range: ClosedRange<Double>,
                               color: String? = nil) -> HistogramSeries {
        let w = (range.upperBound - range.lowerBound) / Double(bins)
        var counts = [Double](repeating: 0, count: bins)
        for v in values where v.isFinite {
            let b = min(bins - 1, max(0, Int((v - range.lowerBound) / w)))
            counts[b] += 1
        }
        let edges = (0...bins).map { range.lowerBound + Double($0) * w }
        return HistogramSeries(name: name, edges: edges, counts: counts, color: color)
    }
}

/// Overlaid histograms (step outlines with a translucent fill), optionally with a log count
/// axis — the paper's "Number of Latents (log scale)" decoder-cosine histograms.
public struct HistogramChart {
    public var title: String?
    public var xLabel: String
    public var yLabel: String
    public var logY: Bool
    public var series: [HistogramSeries]
    public var width: Double
    public var height: Double

    public init(title: String? = nil, xLabel: String, yLabel: String, logY: Bool = false,
                series: [HistogramSeries], width: Double = 560, height: Double = 320) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.logY = logY
        self.series = series; self.width = width; self.height = height
    }

    /// The chart as an `<svg>` element; `id` must be unique within the page.
    public func svg(id: String) -> String {
        let lo = series.compactMap { $0.edges.first }.min() ?? 0
        let hi = series.compactMap { $0.edges.last }.max() ?? 1
        let maxCount = series.flatMap(\.counts).max() ?? 1
        let x = PlotScale(kind: .linear, lower: lo, upper: hi)
        // Log y: bars start at 0.5 so a single latent is visible.
        let y: PlotScale = logY ? PlotScale(kind: .log, lower: 0.5, upper: max(2, maxCount * 1.6))
                                : PlotScale.niceLinear(0, max(1, maxCount))
        let legendOutside = series.count > 1
        let longest = Double(series.map(\.name.count).max() ?? 0)
        let frame = ChartFrame(width: width, height: height, x: x, y: y, title: title, xLabel: xLabel,
                               yLabel: yLabel, legendWidth: legendOutside ? min(200, 40 + 6.2 * longest) : 0)
        var svg = SVGCanvas(width: width, height: height, chart: id)
        frame.drawAxes(on: &svg)
        frame.beginData(id: id, on: &svg)
        let base = logY ? 0.5 : 0
        var legend: [ChartFrame.LegendEntry] = []
        for (i, s) in series.enumerated() {
            let color = s.color ?? Palette.color(i)
            var outline: [(Double, Double)] = [(frame.x.pixel(s.edges.first ?? lo), frame.y.pixel(base))]
            for (b, c) in s.counts.enumerated() where b + 1 < s.edges.count {
                let x0 = frame.x.pixel(s.edges[b]), x1 = frame.x.pixel(s.edges[b + 1])
                let v = c > 0 ? c : base
                let py = frame.y.pixel(v)
                if c > 0 {
                    svg.rect(x0, py, x1 - x0, frame.y.pixel(base) - py, fill: color, opacity: 0.22,
                             hover: "\(s.name): [\(LineChart.value(s.edges[b])), \(LineChart.value(s.edges[b + 1]))) \(LineChart.value(c))")
                }
                outline.append((x0, py)); outline.append((x1, py))
            }
            outline.append((frame.x.pixel(s.edges.last ?? hi), frame.y.pixel(base)))
            svg.polyline(outline, stroke: color, width: 1.3)
            legend.append(.init(label: s.name, color: color, box: true))
        }
        svg.raw("</g>")
        frame.drawLegend(legend, on: &svg)
        return svg.render()
    }
}
