import Foundation

/// One line of a line chart.
public struct LineSeries: Codable, Equatable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// CSS colour; nil picks the next categorical colour.
    public var color: String?
    /// SVG dash pattern, e.g. "5,3"; nil draws a solid line.
    public var dash: String?
    /// Draw a marker at every point.
    public var markers: Bool
    public var lineWidth: Double

    public init(name: String, x: [Double], y: [Double], color: String? = nil, dash: String? = nil,
                markers: Bool = false, lineWidth: Double = 1.6) {
        self.name = name; self.x = x; self.y = y; self.color = color; self.dash = dash
        self.markers = markers; self.lineWidth = lineWidth
    }
}

/// A horizontal or vertical reference line with an optional label (e.g. the random baseline at 0).
public struct ReferenceLine: Codable, Equatable {
    public enum Axis: String, Codable { case horizontal, vertical }
    public var axis: Axis
    public var value: Double
    public var label: String?
    public var color: String
    public init(_ axis: Axis, at value: Double, label: String? = nil, color: String = "#555") {
        self.axis = axis; self.value = value; self.label = label; self.color = color
    }
}

/// A line chart with linear or log axes, a legend and reference lines — the paper's
/// progress-measure, drift and convergence plots (x = step + 1 on a log axis).
public struct LineChart {
    public var title: String?
    public var xLabel: String
    public var yLabel: String
    public var xScale: PlotScale.Kind
    public var yScale: PlotScale.Kind
    /// Fixed y interval (e.g. the paper's (−0.2, 1)); nil fits the data.
    public var yDomain: ClosedRange<Double>?
    public var xDomain: ClosedRange<Double>?
    public var series: [LineSeries]
    public var references: [ReferenceLine]
    public var width: Double
    public var height: Double
    /// Put the legend outside on the right (many series) instead of inside the plot.
    public var legendOutside: Bool

    public init(title: String? = nil, xLabel: String, yLabel: String, xScale: PlotScale.Kind = .linear,
                yScale: PlotScale.Kind = .linear, yDomain: ClosedRange<Double>? = nil,
                xDomain: ClosedRange<Double>? = nil, series: [LineSeries], references: [ReferenceLine] = [],
                width: Double = 560, height: Double = 320, legendOutside: Bool? = nil) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.xScale = xScale; self.yScale = yScale; self.yDomain = yDomain; self.xDomain = xDomain
        self.series = series; self.references = references
        self.width = width; self.height = height
        self.legendOutside = legendOutside ?? (series.count > 4)
    }

    /// The chart as an `<svg>` element. `id` must be unique within the page (clip path).
    public func svg(id: String) -> String {
        let xScaleProbe = PlotScale(kind: xScale, lower: 1, upper: 2)
        let yScaleProbe = PlotScale(kind: yScale, lower: 1, upper: 2)
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            for (a, b) in zip(s.x, s.y) where xScaleProbe.accepts(a) && yScaleProbe.accepts(b) {
                xs.append(a); ys.append(b)
            }
        }
        for r in references {
            if r.axis == .horizontal, yScaleProbe.accepts(r.value) { ys.append(r.value) }
            if r.axis == .vertical, xScaleProbe.accepts(r.value) { xs.append(r.value) }
        }
        let xr = xDomain ?? ((xs.min() ?? 0)...(xs.max() ?? 1))
        let yr = yDomain ?? ((ys.min() ?? 0)...(ys.max() ?? 1))
        let x: PlotScale = xScale == .log
            ? (xDomain == nil ? .paddedLog(xr.lowerBound, xr.upperBound) : PlotScale(kind: .log, lower: xr.lowerBound, upper: xr.upperBound))
            : (xDomain == nil ? PlotScale.niceLinear(xr.lowerBound, xr.upperBound) : PlotScale(kind: .linear, lower: xr.lowerBound, upper: xr.upperBound))
        let y: PlotScale = yScale == .log
            ? (yDomain == nil ? .paddedLog(yr.lowerBound, yr.upperBound) : PlotScale(kind: .log, lower: yr.lowerBound, upper: yr.upperBound))
            : (yDomain == nil ? PlotScale.niceLinear(yr.lowerBound, yr.upperBound) : PlotScale(kind: .linear, lower: yr.lowerBound, upper: yr.upperBound))

        let legendNames = series.map(\.name) + references.compactMap(\.label)
        let longest = Double(legendNames.map(\.count).max() ?? 0)
        let legendWidth = legendOutside ? min(200, 40 + 6.2 * longest) : 0
        let frame = ChartFrame(width: width, height: height, x: x, y: y, title: title,
                               xLabel: xLabel, yLabel: yLabel, legendWidth: legendWidth)
        var svg = SVGCanvas(width: width, height: height)
        frame.drawAxes(on: &svg)
        svg.raw("<defs>\(frame.clipPath(id: "clip-\(id)"))</defs><g clip-path=\"url(#clip-\(id))\">")
        var legend: [ChartFrame.LegendEntry] = []
        for r in references {
            let dash = "6,4"
            switch r.axis {
            case .horizontal:
                let py = frame.y.pixel(r.value)
                svg.line(frame.plotLeft, py, frame.plotRight, py, stroke: r.color, width: 1.2, dash: dash)
            case .vertical:
                let px = frame.x.pixel(r.value)
                svg.line(px, frame.plotTop, px, frame.plotBottom, stroke: r.color, width: 1.2, dash: dash)
            }
            if let label = r.label { legend.append(.init(label: label, color: r.color, dash: dash)) }
        }
        for (i, s) in series.enumerated() {
            let color = s.color ?? Palette.color(i)
            // Break the line at points a log axis cannot show.
            var segment: [(Double, Double)] = []
            var segments: [[(Double, Double)]] = []
            for (a, b) in zip(s.x, s.y) {
                if frame.x.accepts(a) && frame.y.accepts(b) {
                    segment.append((frame.x.pixel(a), frame.y.pixel(b)))
                } else if !segment.isEmpty {
                    segments.append(segment); segment = []
                }
            }
            if !segment.isEmpty { segments.append(segment) }
            for seg in segments {
                svg.polyline(seg, stroke: color, width: s.lineWidth, dash: s.dash)
                if s.markers || seg.count == 1 {
                    for p in seg { svg.circle(p.0, p.1, r: 2.4, fill: color) }
                }
            }
            legend.insert(.init(label: s.name, color: color, dash: s.dash), at: legend.count - references.filter { $0.label != nil }.count)
        }
        svg.raw("</g>")
        frame.drawLegend(legend, on: &svg)
        return svg.render()
    }
}
