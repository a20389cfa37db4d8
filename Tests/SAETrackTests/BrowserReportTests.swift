import Foundation
import Testing
@testable import SAETrack

/// Where CI artifacts go: `$SAETRACK_ARTIFACTS`, else `<package>/.build/artifacts` (gitignored).
func artifactsDirectory(_ sub: String, file: String = #filePath) -> URL {
    if let p = ProcessInfo.processInfo.environment["SAETRACK_ARTIFACTS"] { return URL(fileURLWithPath: p).appendingPathComponent(sub) }
    let root = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/artifacts").appendingPathComponent(sub)
}

/// What the injected checking script reports back from the rendered page.
struct BrowserCheck: Decodable {
    struct Figure: Decodable {
        var index: Int
        var id: String
        var width: Double
        var height: Double
        /// Elements inside the chart's data group (`g.data`) with a non-empty box.
        var visibleMarks: Int
        var hasDataGroup: Bool
    }
    var errors: [String]
    var figures: [Figure]
    var cards: Int
    var indexRows: Int
    var resources: [String]
    var externalReferences: [String]
    var scrollHeight: Double
    var sections: [String]
    /// Index rows left visible after searching for nonsense, and for the first row's own text (nil: no index).
    var searchNone: Int?
    var searchFirst: Int?
}

/// Injected first in <head>: records console errors and warnings, uncaught exceptions (including
/// script parse errors), unhandled rejections and failed resource loads.
let captureScript = """
<script>window.__saetrackErrors=[];(function(){var E=window.__saetrackErrors;
var ce=console.error,cw=console.warn;
console.error=function(){E.push('console.error: '+Array.prototype.join.call(arguments,' '));ce.apply(console,arguments);};
console.warn=function(){E.push('console.warn: '+Array.prototype.join.call(arguments,' '));cw.apply(console,arguments);};
window.addEventListener('error',function(e){if(e.target&&e.target!==window){E.push('failed resource: '+(e.target.src||e.target.href||e.target.tagName));}else{E.push('uncaught: '+e.message+' (line '+e.lineno+')');}},true);
window.addEventListener('unhandledrejection',function(e){E.push('unhandled rejection: '+e.reason);});})();</script>
"""

/// Injected last in <body>: opens every <details>, measures every SVG and its data marks, counts
/// cards and index rows, lists loaded resources and external references, and writes the result
/// as JSON into <pre id="saetrack-browser-check">.
let checkScript = """
<script>(function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});
var r={errors:window.__saetrackErrors,figures:[],cards:0,indexRows:0,resources:[],externalReferences:[],scrollHeight:0,sections:[]};
function visible(el){var b=el.getBoundingClientRect();return b.width>0||b.height>0;}
document.querySelectorAll('svg').forEach(function(s,i){var b=s.getBoundingClientRect();var g=s.querySelector('g.data');var n=0;
if(g){g.querySelectorAll('*').forEach(function(e){if(e.tagName!=='g'&&e.tagName!=='title'&&visible(e))n++;});}
r.figures.push({index:i,id:s.getAttribute('data-chart')||'',width:b.width,height:b.height,visibleMarks:n,hasDataGroup:!!g});});
r.cards=document.querySelectorAll('.card').length;
r.indexRows=document.querySelectorAll('#feature-index tbody tr').length;
performance.getEntriesByType('resource').forEach(function(e){r.resources.push(e.name);});
document.querySelectorAll('[src],[href],link').forEach(function(e){var u=e.getAttribute('src')||e.getAttribute('href')||'';if(u&&u.charAt(0)!=='#'&&u.indexOf('data:')!==0)r.externalReferences.push(u);});
document.querySelectorAll('h2[id]').forEach(function(h){r.sections.push(h.id);});
var q=document.getElementById('fi-search');if(q){var rows=document.querySelectorAll('#feature-index tbody tr');
function shown(){var n=0;rows.forEach(function(x){if(x.style.display!=='none')n++;});return n;}
q.value='zzzz-no-such-feature';q.dispatchEvent(new Event('input'));r.searchNone=shown();
q.value=rows.length?rows[0].getAttribute('data-search'):'';q.dispatchEvent(new Event('input'));r.searchFirst=shown();
q.value='';q.dispatchEvent(new Event('input'));}
r.scrollHeight=document.documentElement.scrollHeight;
var p=document.createElement('pre');p.id='saetrack-browser-check';p.textContent=JSON.stringify(r);document.body.appendChild(p);})();</script>
"""

/// Runs a real chain, analyses it, and returns the report with its analysis.
func analysedTinyTrack(_ name: String) throws -> (dir: URL, analysis: TrackAnalysis, report: URL) {
    let dir = temporaryDirectory(name)
    let provider = DriftingDictionary()
    let run = try SAETrackRun(directory: dir, config: tinyTrackConfig(checkpoints: 4), checkpoints: tinyCheckpoints(4), provider: provider)
    run.progress = { _ in }
    try run.run()
    try provider.evaluationInputs().write(to: dir)
    var analyzer = TrackAnalyzer(directory: dir)
    analyzer.progress = { _ in }
    let a = try analyzer.analyze()
    let report = try AnalysisExport.write(a, to: dir.appendingPathComponent("analysis"))
    return (dir, a, report)
}

@Suite("Report in a real browser")
struct BrowserReportTests {
    /// Loads `html` in headless Chromium with the capture and check scripts injected; saves a
    /// full-page screenshot as `<artifacts>/report-browser/<name>.png`.
    func check(_ html: String, name: String) throws -> BrowserCheck {
        let chromium = try HeadlessChromium()
        defer { chromium.cleanUp() }
        let dir = temporaryDirectory("browser-\(name)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html")
        try html.write(to: page, atomically: true, encoding: .utf8)
        let checked = dir.appendingPathComponent("checked.html")
        let instrumented = html.replacingOccurrences(of: "<head>", with: "<head>" + captureScript)
            .replacingOccurrences(of: "</body>", with: checkScript + "</body>")
        #expect(instrumented.count > html.count + captureScript.count, "report has no <head> or </body> to instrument")
        try instrumented.write(to: checked, atomically: true, encoding: .utf8)
        let (dom, stderr) = try chromium.dumpDOM(checked)
        // Script errors the capture script could not see (it runs first, so only its own).
        let uncaught = stderr.split(separator: "\n").filter { $0.contains("CONSOLE") && $0.contains("Uncaught") }
        #expect(uncaught.isEmpty, "console: \(uncaught.joined(separator: "\n"))")
        guard let start = dom.range(of: "<pre id=\"saetrack-browser-check\">"),
              let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            Issue.record("the checking script did not run; stderr:\n\(stderr.suffix(3000))")
            throw HeadlessChromium.Failure.exited(status: 0, stderr: "no check output")
        }
        let json = String(dom[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        let result = try JSONDecoder().decode(BrowserCheck.self, from: Data(json.utf8))
        let png = artifactsDirectory("report-browser").appendingPathComponent("\(name).png")
        try chromium.screenshot(page, to: png, height: Int(min(24_000, max(900, result.scrollHeight))))
        let size = (try? FileManager.default.attributesOfItem(atPath: png.path)[.size] as? Int) ?? 0
        #expect(size > 10_000, "screenshot \(png.path) is \(size) bytes")
        return result
    }

    func expectRendered(_ r: BrowserCheck, html: String, cards: Int) {
        #expect(r.errors.isEmpty, "errors in the browser: \(r.errors)")
        #expect(r.resources.isEmpty, "the report loaded resources: \(r.resources)")
        #expect(r.externalReferences.isEmpty, "the report references files or URLs: \(r.externalReferences)")
        let svgInSource = html.components(separatedBy: "<svg").count - 1
        #expect(r.figures.count == svgInSource && svgInSource > 0, "\(r.figures.count) SVGs rendered, \(svgInSource) in the source")
        for f in r.figures {
            #expect(f.width > 20 && f.height > 10, "figure \(f.index) \(f.id) has size \(f.width)×\(f.height)")
            #expect(f.hasDataGroup && f.visibleMarks > 0, "figure \(f.index) \(f.id) draws no data (\(f.visibleMarks) visible marks)")
        }
        #expect(r.cards == cards, "\(r.cards) feature cards rendered, \(cards) expected")
        // The feature index lists every card and its search filters.
        #expect(r.indexRows == cards, "\(r.indexRows) index rows, \(cards) cards")
        if cards > 0 {
            #expect(r.searchNone == 0, "a search matching nothing left \(r.searchNone ?? -1) rows")
            #expect((r.searchFirst ?? 0) >= 1 && (r.searchFirst ?? 0) <= cards, "searching the first row's text left \(r.searchFirst ?? -1) rows")
        }
    }

    @Test("a real analysed chain's report renders in headless Chromium: no errors, no resources, every figure and card drawn",
          .enabled(if: HeadlessChromium.executable != nil || HeadlessChromium.required))
    func realReport() throws {
        let (dir, a, report) = try analysedTinyTrack("browser-real")
        defer { try? FileManager.default.removeItem(at: dir) }
        let html = try String(contentsOf: report, encoding: .utf8)
        let r = try check(html, name: "tiny-chain")
        expectRendered(r, html: html, cards: a.featureCards.count)
        for id in ["findings", "summary", "formation", "groundtruth", "drift", "life", "convergence", "index", "cards", "settings"] {
            #expect(r.sections.contains(id), "section \(id) missing from the rendered page")
        }
    }

    /// `SAETRACK_BROWSER_REPORT=demo-out/analysis/report.html swift test … --filter BrowserReportTests` checks
    /// a report written elsewhere (e.g. by `make demo`) the same way, with the card count from its analysis.json.
    @Test("an existing report (SAETRACK_BROWSER_REPORT, e.g. the demo's) renders in headless Chromium",
          .enabled(if: ProcessInfo.processInfo.environment["SAETRACK_BROWSER_REPORT"] != nil))
    func existingReport() throws {
        let report = URL(fileURLWithPath: ProcessInfo.processInfo.environment["SAETRACK_BROWSER_REPORT"]!)
        let html = try String(contentsOf: report, encoding: .utf8)
        let analysis = try AnalysisExport.jsonDecoder.decode(
            TrackAnalysis.self, from: Data(contentsOf: report.deletingLastPathComponent().appendingPathComponent("analysis.json")))
        let r = try check(html, name: "existing")
        expectRendered(r, html: html, cards: analysis.featureCards.count)
    }

    @Test("the sample analysis (every figure kind, long series lists) renders in headless Chromium",
          .enabled(if: HeadlessChromium.executable != nil || HeadlessChromium.required))
    func sampleReport() throws {
        let a = sampleAnalysis()
        let html = TrackReport.html(a)
        let r = try check(html, name: "sample")
        expectRendered(r, html: html, cards: a.featureCards.count)
    }
}
