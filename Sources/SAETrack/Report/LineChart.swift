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

/// A shaded band between two curves over the same x (e.g. the 25–75 % range of a population).
public struct LineBand: Codable, Equatable {
    public var name: String
    public var x: [Double]
    public var lower: [Double]
    public var upper: [Double]
    public var color: String
    public var opacity: Double
    public init(name: String, x: [Double], lower: [Double], upper: [Double], color: String, opacity: Double = 0.18) {
        self.name = name; self.x = x; self.lower = lower; self.upper = upper; self.color = color; self.opacity = opacity
    }
}

/// A marked point on a chart (e.g. a feature's onset or settling step).
public struct PointMarker: Codable, Equatable {
    public enum Shape: String, Codable { case circle, hollowCircle, diamond, square }
    public var x: Double
    public var y: Double
    public var shape: Shape
    public var color: String
    /// Legend entry of this marker kind (markers sharing a legend name get one entry).
    public var legend: String
    /// Hover text.
    public var hover: String
    public init(x: Double, y: Double, shape: Shape, color: String, legend: String, hover: String) {
        self.x = x; self.y = y; self.shape = shape; self.color = color; self.legend = legend; self.hover = hover
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

/// A line chart with linear, log or step-log axes, shaded bands, point markers, reference lines
/// and a legend that sits outside the plot (never over data) — the paper's progress-measure,
/// drift and convergence plots. Every data point carries a hover `<title>` with its values.
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
    public var bands: [LineBand]
    public var markers: [PointMarker]
    public var references: [ReferenceLine]
    public var width: Double
    public var height: Double
    /// Draw the legend (outside on the right). Off when the page shows a shared legend.
    public var showLegend: Bool
    /// How x values read in hover text ("step" on training-step axes).
    public var xName: String

    public init(title: String? = nil, xLabel: String, yLabel: String, xScale: PlotScale.Kind = .linear,
                yScale: PlotScale.Kind = .linear, yDomain: ClosedRange<Double>? = nil,
                xDomain: ClosedRange<Double>? = nil, series: [LineSeries], bands: [LineBand] = [], markers: [PointMarker] = [],
                references: [ReferenceLine] = [], width: Double = 560, height: Double = 320, showLegend: Bool = true,
                xName: String? = nil) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.xScale = xScale; self.yScale = yScale; self.yDomain = yDomain; self.xDomain = xDomain
        self.series = series; self.bands = bands; self.markers = markers; self.references = references
        self.width = width; self.height = height; self.showLegend = showLegend
        self.xName = xName ?? (xScale == .stepLog ? "step" : "x")
    }

    static func scale(_ kind: PlotScale.Kind, data: ClosedRange<Double>, fixed: ClosedRange<Double>?) -> PlotScale {
        if let fixed { return PlotScale(kind: kind, lower: fixed.lowerBound, upper: fixed.upperBound) }
        switch kind {
        case .linear: return .niceLinear(data.lowerBound, data.upperBound)
        case .log: return .paddedLog(data.lowerBound, data.upperBound)
        case .stepLog: return .paddedStepLog(data.lowerBound, data.upperBound)
        }
    }

    /// The legend entries, in drawing order.
    var legendEntries: [ChartFrame.LegendEntry] {
        var out: [ChartFrame.LegendEntry] = bands.map { .init(label: $0.name, color: $0.color, box: true, opacity: min(1, $0.opacity * 2.5)) }
        out += series.enumerated().map { i, s in .init(label: s.name, color: s.color ?? Palette.color(i), dash: s.dash) }
        var seen = Set<String>()
        for m in markers where seen.insert(m.legend).inserted {
            // One colour for the entry when every marker of it shares one; neutral grey otherwise.
            let colors = Set(markers.filter { $0.legend == m.legend }.map(\.color))
            out.append(.init(label: m.legend, color: colors.count == 1 ? m.color : Palette.axis, marker: m.shape))
        }
        out += references.compactMap { r in r.label.map { .init(label: $0, color: r.color, dash: "6,4") } }
        return out
    }

    /// The chart as an `<svg>` element. `id` must be unique within the page (clip path).
    public func svg(id: String) -> String {
        let xProbe = PlotScale(kind: xScale, lower: 1, upper: 2)
        let yProbe = PlotScale(kind: yScale, lower: 1, upper: 2)
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            for (a, b) in zip(s.x, s.y) where xProbe.accepts(a) && yProbe.accepts(b) { xs.append(a); ys.append(b) }
        }
        for b in bands {
            for (a, (l, u)) in zip(b.x, zip(b.lower, b.upper)) where xProbe.accepts(a) {
                xs.append(a)
                if yProbe.accepts(l) { ys.append(l) }
                if yProbe.accepts(u) { ys.append(u) }
            }
        }
        for r in references {
            if r.axis == .horizontal, yProbe.accepts(r.value) { ys.append(r.value) }
            if r.axis == .vertical, xProbe.accepts(r.value) { xs.append(r.value) }
        }
        let x = Self.scale(xScale, data: (xs.min() ?? 0)...(xs.max() ?? 1), fixed: xDomain)
        let y = Self.scale(yScale, data: (ys.min() ?? 0)...(ys.max() ?? 1), fixed: yDomain)
        let entries = legendEntries
        let legendWidth = showLegend && entries.count > 1 ? ChartFrame.legendWidth(entries) : 0
        let frame = ChartFrame(width: width, height: height, x: x, y: y, title: title,
                               xLabel: xLabel, yLabel: yLabel, legendWidth: legendWidth)
        var svg = SVGCanvas(width: width, height: height, chart: id)
        frame.drawAxes(on: &svg)
        frame.beginData(id: id, on: &svg)
        for b in bands {
            var upper: [(Double, Double)] = [], lower: [(Double, Double)] = []
            for (a, (l, u)) in zip(b.x, zip(b.lower, b.upper)) where frame.x.accepts(a) && frame.y.accepts(l) && frame.y.accepts(u) {
                upper.append((frame.x.pixel(a), frame.y.pixel(u)))
                lower.append((frame.x.pixel(a), frame.y.pixel(l)))
            }
            svg.polygon(upper + lower.reversed(), fill: b.color, opacity: b.opacity)
        }
        for r in references {
            switch r.axis {
            case .horizontal:
                let py = frame.y.pixel(r.value)
                svg.line(frame.plotLeft, py, frame.plotRight, py, stroke: r.color, width: 1.2, dash: "6,4")
            case .vertical:
                let px = frame.x.pixel(r.value)
                svg.line(px, frame.plotTop, px, frame.plotBottom, stroke: r.color, width: 1.2, dash: "6,4")
            }
        }
        var hover: [(Double, Double, String)] = []
        for (i, s) in series.enumerated() {
            let color = s.color ?? Palette.color(i)
            // Break the line at points the axes cannot show.
            var segment: [(Double, Double)] = []
            var segments: [[(Double, Double)]] = []
            for (a, b) in zip(s.x, s.y) {
                if frame.x.accepts(a) && frame.y.accepts(b) {
                    let p = (frame.x.pixel(a), frame.y.pixel(b))
                    segment.append(p)
                    hover.append((p.0, p.1, "\(s.name): \(xName) \(PlotScale.plain(a)), \(Self.value(b))"))
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
        }
        for m in markers where frame.x.accepts(m.x) && frame.y.accepts(m.y) {
            let (px, py) = (frame.x.pixel(m.x), frame.y.pixel(m.y))
            svg.marker(m.shape, px, py, size: 4.2, color: m.color)
            hover.append((px, py, m.hover))
        }
        // Hover targets last, so they sit above the lines: transparent discs with a <title>.
        for (px, py, text) in hover { svg.hoverTarget(px, py, text: text) }
        svg.raw("</g>")
        if showLegend { frame.drawLegend(entries, on: &svg) }
        return svg.render()
    }

    /// A value for hover text: `digits` significant digits (4 by default).
    static func value(_ v: Double, digits: Int = 4) -> String { String(format: "%.\(digits)g", v) }
}
