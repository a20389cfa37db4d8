import Foundation

/// A 2-D trajectory: points in order with a per-point colour value in [0, 1]
/// (e.g. log-step progress) and optional labels ("Init", "Final").
public struct Trajectory: Codable, Equatable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// Per-segment colour key in [0, 1]; nil colours the whole trajectory by `color`.
    public var progress: [Double]?
    public var color: String?
    public var startLabel: String?
    public var endLabel: String?
    /// Training step of each point (hover text), if known.
    public var steps: [Int]?
    public init(name: String, x: [Double], y: [Double], progress: [Double]? = nil, color: String? = nil,
                startLabel: String? = "Init", endLabel: String? = "Final", steps: [Int]? = nil) {
        self.name = name; self.x = x; self.y = y; self.progress = progress; self.color = color
        self.startLabel = startLabel; self.endLabel = endLabel; self.steps = steps
    }
}

/// Scatter / polyline chart for PCA trajectories of decoder rows (Docs/Method.md §8.3): markers at every
/// checkpoint, segments coloured early→late, "Init" and "Final" labels, equal aspect not enforced.
public struct TrajectoryChart {
    public var title: String?
    public var xLabel: String
    public var yLabel: String
    public var trajectories: [Trajectory]
    public var width: Double
    public var height: Double
    /// Legend text describing the colour ramp (shown under the title).
    public var rampCaption: String?

    public init(title: String? = nil, xLabel: String = "PCA Component 1", yLabel: String = "PCA Component 2",
                trajectories: [Trajectory], width: Double = 360, height: Double = 300, rampCaption: String? = nil) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.trajectories = trajectories
        self.width = width; self.height = height; self.rampCaption = rampCaption
    }

    /// The chart as an `<svg>` element; `id` must be unique within the page.
    public func svg(id: String) -> String {
        let xs = trajectories.flatMap(\.x).filter(\.isFinite), ys = trajectories.flatMap(\.y).filter(\.isFinite)
        func padded(_ v: [Double]) -> (Double, Double) {
            let lo = v.min() ?? -1, hi = v.max() ?? 1
            let pad = max(hi - lo, 1e-6) * 0.12
            return (lo - pad, hi + pad)
        }
        let (x0, x1) = padded(xs), (y0, y1) = padded(ys)
        let frame = ChartFrame(width: width, height: height, x: .niceLinear(x0, x1, targetTicks: 4),
                               y: .niceLinear(y0, y1, targetTicks: 4), title: title, xLabel: xLabel, yLabel: yLabel)
        var svg = SVGCanvas(width: width, height: height, chart: id)
        frame.drawAxes(on: &svg)
        frame.beginData(id: id, on: &svg)
        for (ti, t) in trajectories.enumerated() {
            let pts = zip(t.x, t.y).map { (frame.x.pixel($0.0), frame.y.pixel($0.1)) }
            for i in 0..<max(0, pts.count - 1) {
                let c = t.progress.map { Palette.ramp($0[min(i + 1, $0.count - 1)]) } ?? (t.color ?? Palette.color(ti))
                svg.line(pts[i].0, pts[i].1, pts[i + 1].0, pts[i + 1].1, stroke: c, width: 1.6)
            }
            for (i, p) in pts.enumerated() {
                let c = t.progress.map { Palette.ramp($0[min(i, $0.count - 1)]) } ?? (t.color ?? Palette.color(ti))
                svg.circle(p.0, p.1, r: 2.6, fill: c, stroke: "#ffffff")
            }
            for (i, p) in pts.enumerated() {
                let step = t.steps.flatMap { i < $0.count ? "step \($0[i]): " : nil } ?? ""
                svg.hoverTarget(p.0, p.1, text: "\(t.name) \(step)PC1 \(LineChart.value(t.x[i])), PC2 \(LineChart.value(t.y[i]))", radius: 4)
            }
            // Labels sit right of their point unless that would leave the plot.
            func label(_ text: String, at p: (Double, Double)) {
                let right = p.0 + 5 + 6.5 * Double(text.count) < frame.plotRight
                svg.text(text, x: right ? p.0 + 5 : p.0 - 5, y: p.1 - 5, size: 10.5, anchor: right ? "start" : "end",
                         color: Palette.text, weight: "600")
            }
            if let first = pts.first, let text = t.startLabel { label(text, at: first) }
            if let last = pts.last, let text = t.endLabel, pts.count > 1 { label(text, at: last) }
        }
        svg.raw("</g>")
        if let rampCaption {
            // A small colour bar in the top-right corner of the plot.
            let bx = frame.plotRight - 96, by = frame.plotTop + 6
            for k in 0..<40 {
                svg.rect(bx + Double(k) * 2, by, 2.1, 7, fill: Palette.ramp(Double(k) / 39))
            }
            svg.text(rampCaption, x: bx + 40, y: by + 18, size: 9, anchor: "middle", color: Palette.muted)
        }
        return svg.render()
    }
}
