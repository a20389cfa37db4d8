import Foundation

/// The shared furniture of every chart: plot area, x/y scales, grid, ticks, axis labels,
/// title and legend. Charts compute their data ranges, build a frame, then draw inside it.
public struct ChartFrame {
    /// Outer size and the plot rectangle inside it.
    public let width: Double, height: Double
    public let plotLeft: Double, plotTop: Double, plotRight: Double, plotBottom: Double
    public var x: PlotScale
    public var y: PlotScale
    public var title: String?
    public var xLabel: String
    public var yLabel: String

    /// Legend entries: label, colour, and a dashed line, a filled box or a marker shape.
    public struct LegendEntry {
        public var label: String
        public var color: String
        public var dash: String?
        public var box: Bool
        public var opacity: Double
        public var marker: PointMarker.Shape?
        public init(label: String, color: String, dash: String? = nil, box: Bool = false, opacity: Double = 0.75,
                    marker: PointMarker.Shape? = nil) {
            self.label = label; self.color = color; self.dash = dash; self.box = box; self.opacity = opacity; self.marker = marker
        }
    }

    /// Width to reserve right of the plot for a legend of `entries`.
    public static func legendWidth(_ entries: [LegendEntry]) -> Double {
        min(230, 40 + 6.2 * Double(entries.map(\.label.count).max() ?? 0))
    }

    /// A frame with room for the legend on the right when `legendWidth > 0`.
    public init(width: Double, height: Double, x: PlotScale, y: PlotScale, title: String?,
                xLabel: String, yLabel: String, legendWidth: Double = 0) {
        self.width = width; self.height = height
        plotLeft = 58
        plotTop = title == nil ? 14 : 32
        plotRight = width - 16 - legendWidth
        plotBottom = height - 44
        var x = x, y = y
        x.pixelStart = plotLeft; x.pixelEnd = plotRight
        y.pixelStart = plotBottom; y.pixelEnd = plotTop
        self.x = x; self.y = y
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
    }

    /// Draws grid, axes, ticks, labels and title onto `svg`.
    public func drawAxes(on svg: inout SVGCanvas) {
        svg.rect(plotLeft, plotTop, plotRight - plotLeft, plotBottom - plotTop, fill: "#ffffff")
        let xt = x.ticks(target: max(3, Int((plotRight - plotLeft) / 80)))
        let yt = y.ticks(target: max(3, Int((plotBottom - plotTop) / 45)))
        // Grid on major ticks only (as matplotlib); minor ticks are short marks on the axis.
        for t in xt where !t.isMinor {
            let px = x.pixel(t.value)
            svg.line(px, plotTop, px, plotBottom, stroke: Palette.grid)
        }
        for t in yt where !t.isMinor {
            let py = y.pixel(t.value)
            svg.line(plotLeft, py, plotRight, py, stroke: Palette.grid)
        }
        svg.line(plotLeft, plotBottom, plotRight, plotBottom, stroke: Palette.axis)
        svg.line(plotLeft, plotTop, plotLeft, plotBottom, stroke: Palette.axis)
        for t in xt {
            let px = x.pixel(t.value)
            svg.line(px, plotBottom, px, plotBottom + (t.isMinor ? 3 : 5), stroke: Palette.axis)
            if !t.isMinor { svg.text(t.label, x: px, y: plotBottom + 17, size: 10.5, anchor: "middle", color: Palette.text) }
        }
        for t in yt {
            let py = y.pixel(t.value)
            svg.line(plotLeft - (t.isMinor ? 3 : 5), py, plotLeft, py, stroke: Palette.axis)
            if !t.isMinor { svg.text(t.label, x: plotLeft - 8, y: py + 3.5, size: 10.5, anchor: "end", color: Palette.text) }
        }
        svg.text(xLabel, x: (plotLeft + plotRight) / 2, y: height - 10, size: 12, anchor: "middle", color: Palette.text)
        svg.text(yLabel, x: 14, y: (plotTop + plotBottom) / 2, size: 12, anchor: "middle", color: Palette.text,
                 rotate: -90, baseline: "middle")
        if let title {
            svg.text(title, x: (plotLeft + plotRight) / 2, y: 19, size: 13, anchor: "middle", color: Palette.text, weight: "600")
        }
    }

    /// Draws the legend in the room reserved right of the plot (`legendWidth` at init): never
    /// over the data. Nothing is drawn for a single entry (the title names it) or without room.
    public func drawLegend(_ entries: [LegendEntry], on svg: inout SVGCanvas) {
        guard entries.count > 1, width - plotRight >= 40 else { return }
        let rowH = 15.0
        let maxRows = Int((height - plotTop - 8) / rowH)
        let shown = Array(entries.prefix(entries.count > maxRows ? maxRows - 1 : maxRows))
        let x0 = plotRight + 12
        let y0 = plotTop + 4
        let maxChars = Int((width - x0 - 28) / 6.0)
        for (i, e) in shown.enumerated() {
            let yy = y0 + rowH * Double(i) + 6
            if let m = e.marker {
                svg.marker(m, x0 + 9, yy, size: 4.2, color: e.color)
            } else if e.box {
                svg.rect(x0, yy - 5, 16, 10, fill: e.color, opacity: e.opacity)
            } else {
                svg.line(x0, yy, x0 + 18, yy, stroke: e.color, width: 2, dash: e.dash)
            }
            let label = e.label.count > maxChars ? String(e.label.prefix(max(1, maxChars - 1))) + "…" : e.label
            svg.text(label, x: x0 + 24, y: yy + 3.5, size: 10.5, color: Palette.text)
        }
        if entries.count > shown.count {
            svg.text("… \(entries.count - shown.count) more", x: x0 + 24, y: y0 + rowH * Double(shown.count) + 9,
                     size: 10, color: Palette.muted, italic: true)
        }
    }

    /// Opens the chart's data group: clipped to the plot rectangle and marked `class="data"` (the
    /// browser test checks every chart draws something inside it). Close it with `svg.raw("</g>")`.
    public func beginData(id: String, on svg: inout SVGCanvas) {
        svg.raw("<defs>\(clipPath(id: "clip-\(id)"))</defs><g class=\"data\" clip-path=\"url(#clip-\(id))\">")
    }

    /// Clips drawing to the plot rectangle (an SVG clipPath with a unique id).
    public func clipPath(id: String) -> String {
        "<clipPath id=\"\(id)\"><rect x=\"\(SVGCanvas.number(plotLeft))\" y=\"\(SVGCanvas.number(plotTop - 6))\" width=\"\(SVGCanvas.number(plotRight - plotLeft))\" height=\"\(SVGCanvas.number(plotBottom - plotTop + 12))\"/></clipPath>"
    }
}
