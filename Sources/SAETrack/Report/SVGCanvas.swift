import Foundation

/// A minimal SVG writer: elements appended as text, coordinates rounded to 0.1 px so
/// reports stay small. Every chart in the report draws onto one of these.
public struct SVGCanvas {
    /// Canvas width and height in CSS pixels.
    public let width: Double
    public let height: Double
    /// The chart's page-unique id, written as `data-chart` (nil: none).
    public let chart: String?
    private var body: [String] = []

    /// An empty canvas of the given size.
    public init(width: Double, height: Double, chart: String? = nil) {
        self.width = width
        self.height = height
        self.chart = chart
    }

    /// A coordinate or length formatted compactly (one decimal, no trailing ".0").
    public static func number(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 10).rounded() / 10
        if r == r.rounded() { return String(Int(r)) }
        return String(format: "%.1f", r)
    }

    /// Text escaped for SVG/HTML content and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    private static func n(_ v: Double) -> String { number(v) }

    /// A straight line segment.
    public mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double,
                              stroke: String, width: Double = 1, dash: String? = nil, opacity: Double = 1) {
        var s = "<line x1=\"\(Self.n(x1))\" y1=\"\(Self.n(y1))\" x2=\"\(Self.n(x2))\" y2=\"\(Self.n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(width)\""
        if let dash { s += " stroke-dasharray=\"\(dash)\"" }
        if opacity < 1 { s += " stroke-opacity=\"\(opacity)\"" }
        body.append(s + "/>")
    }

    /// An open polyline through `points` (already in pixel coordinates).
    public mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5,
                                  dash: String? = nil, opacity: Double = 1) {
        guard points.count > 1 else { return }
        let pts = points.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " ")
        var s = "<polyline fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(width)\" stroke-linejoin=\"round\" points=\"\(pts)\""
        if let dash { s += " stroke-dasharray=\"\(dash)\"" }
        if opacity < 1 { s += " stroke-opacity=\"\(opacity)\"" }
        body.append(s + "/>")
    }

    /// A filled or outlined rectangle; `hover` adds a `<title>` tooltip.
    public mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double,
                              fill: String, stroke: String? = nil, opacity: Double = 1, hover: String? = nil) {
        var s = "<rect x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"\(Self.n(max(0, w)))\" height=\"\(Self.n(max(0, h)))\" fill=\"\(fill)\""
        if let stroke { s += " stroke=\"\(stroke)\" stroke-width=\"0.6\"" }
        if opacity < 1 { s += " fill-opacity=\"\(opacity)\"" }
        if let hover { body.append(s + "><title>\(Self.escape(hover))</title></rect>") } else { body.append(s + "/>") }
    }

    /// A circle marker.
    public mutating func circle(_ x: Double, _ y: Double, r: Double, fill: String, stroke: String? = nil) {
        var s = "<circle cx=\"\(Self.n(x))\" cy=\"\(Self.n(y))\" r=\"\(Self.n(r))\" fill=\"\(fill)\""
        if let stroke { s += " stroke=\"\(stroke)\" stroke-width=\"1\"" }
        body.append(s + "/>")
    }

    /// A filled polygon through `points` (pixel coordinates).
    public mutating func polygon(_ points: [(Double, Double)], fill: String, opacity: Double = 1) {
        guard points.count > 2 else { return }
        let pts = points.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " ")
        body.append("<polygon fill=\"\(fill)\" fill-opacity=\"\(opacity)\" stroke=\"none\" points=\"\(pts)\"/>")
    }

    /// A point marker of `shape` centred at (x, y); `size` is its half-width.
    public mutating func marker(_ shape: PointMarker.Shape, _ x: Double, _ y: Double, size: Double, color: String) {
        switch shape {
        case .circle: circle(x, y, r: size, fill: color, stroke: "#ffffff")
        case .hollowCircle:
            body.append("<circle cx=\"\(Self.n(x))\" cy=\"\(Self.n(y))\" r=\"\(Self.n(size))\" fill=\"#ffffff\" stroke=\"\(color)\" stroke-width=\"1.8\"/>")
        case .diamond:
            let s = size * 1.25
            body.append("<polygon fill=\"\(color)\" stroke=\"#ffffff\" stroke-width=\"1\" points=\"\(Self.n(x)),\(Self.n(y - s)) \(Self.n(x + s)),\(Self.n(y)) \(Self.n(x)),\(Self.n(y + s)) \(Self.n(x - s)),\(Self.n(y))\"/>")
        case .square: rect(x - size, y - size, 2 * size, 2 * size, fill: color, stroke: "#ffffff")
        }
    }

    /// An invisible hover target at (x, y) whose `<title>` the browser shows as a tooltip.
    public mutating func hoverTarget(_ x: Double, _ y: Double, text: String, radius: Double = 5) {
        body.append("<circle class=\"hover\" cx=\"\(Self.n(x))\" cy=\"\(Self.n(y))\" r=\"\(Self.n(radius))\" fill=\"transparent\"><title>\(Self.escape(text))</title></circle>")
    }

    /// Text anchored at (x, y); `anchor` is start, middle or end; `rotate` in degrees about the anchor.
    public mutating func text(_ string: String, x: Double, y: Double, size: Double = 11,
                              anchor: String = "start", color: String = "#222", weight: String? = nil,
                              rotate: Double? = nil, baseline: String? = nil, italic: Bool = false) {
        var s = "<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" font-size=\"\(Self.n(size))\" text-anchor=\"\(anchor)\" fill=\"\(color)\""
        if let weight { s += " font-weight=\"\(weight)\"" }
        if italic { s += " font-style=\"italic\"" }
        if let baseline { s += " dominant-baseline=\"\(baseline)\"" }
        if let rotate { s += " transform=\"rotate(\(Self.n(rotate)) \(Self.n(x)) \(Self.n(y)))\"" }
        body.append(s + ">\(Self.escape(string))</text>")
    }

    /// A `<title>` tooltip-free comment-like description (screen readers, hover in browsers).
    public mutating func title(_ string: String) { body.append("<title>\(Self.escape(string))</title>") }

    /// Raw SVG markup (callers are responsible for escaping).
    public mutating func raw(_ markup: String) { body.append(markup) }

    /// The complete `<svg>` element, sized in CSS pixels and scalable through its viewBox.
    public func render() -> String {
        let w = Self.n(width), h = Self.n(height)
        let tag = chart.map { " data-chart=\"\(Self.escape($0))\"" } ?? ""
        return "<svg xmlns=\"http://www.w3.org/2000/svg\"\(tag) viewBox=\"0 0 \(w) \(h)\" width=\"\(w)\" height=\"\(h)\" "
            + "font-family=\"Helvetica, Arial, 'DejaVu Sans', sans-serif\" role=\"img\">\n"
            + body.joined(separator: "\n") + "\n</svg>"
    }
}
