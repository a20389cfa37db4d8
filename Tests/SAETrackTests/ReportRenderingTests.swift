import Foundation
import Testing
@testable import SAETrack

/// A hand-made analysis with the shapes the paper describes (sigmoids on a log-step axis),
/// used to check the report renders every figure; set SAETRACK_REPORT_PREVIEW=/path.html to keep it.
func sampleAnalysis() -> TrackAnalysis {
    let steps = [0, 1, 2, 4, 8, 16, 32, 64, 128] + stride(from: 180, through: 600, by: 60).map { $0 }
    func sig(_ s: Int, mid: Double, lo: Double, hi: Double) -> Double {
        lo + (hi - lo) / (1 + exp(-(log10(Double(s) + 1) - mid) * 5))
    }
    let meta = TrackAnalysis.Meta(title: "SAE-Track report (sample)", model: "GPT-NeoX 4×128", hook: "blocks.2.hook_resid_pre",
                                  centered: true, dIn: 128, dSAE: 1024, steps: steps, evaluationTokens: 8192,
                                  firstStageSteps: 800, continualStageSteps: 150)
    let summary = steps.enumerated().map { i, s in
        TrackAnalysis.CheckpointSummary(step: s, lmLoss: sig(s, mid: 1.3, lo: 5.6, hi: 1.74), saeLoss: 0.02, mse: 0.01,
                                        l0: sig(s, mid: 1.5, lo: 9.8, hi: 20), explainedVariance: sig(s, mid: 1, lo: 0.95, hi: 0.985),
                                        deadFraction: sig(s, mid: 2.2, lo: 0.02, hi: 0.6), ceRecovered: i < 2 ? nil : sig(s, mid: 1, lo: 0.5, hi: 0.95),
                                        reconstructedLoss: 2, zeroAblatedLoss: 3,
                                        cosToFinalMedian: sig(s, mid: 1.2, lo: 0.58, hi: 1), cosToPreviousMedian: i == 0 ? nil : 0.97,
                                        saeTrainingSteps: i == 0 ? 800 : 150)
    }
    let labels = ["sports", "and", "the", "weather", "number", "quote"]
    let progress = ["Activation space (cosine)", "Feature space (cosine)", "Weighted Jaccard", "Binary Jaccard"].enumerated().map { mi, title in
        TrackAnalysis.ProgressMeasure(measure: "m\(mi)", title: title, steps: steps, features: labels.enumerated().map { fi, l in
            TrackAnalysis.FeatureCurve(feature: fi * 37, label: l, values: steps.map { sig($0, mid: 0.8 + Double(fi) * 0.25, lo: fi % 2 == 0 ? 0 : 0.6, hi: 0.8) },
                                       onsetStep: 8, settleStep: 180)
        }, population: TrackAnalysis.PopulationBands(curves: (0..<40).map { k in steps.map { sig($0, mid: 0.6 + Double(k) * 0.05, lo: 0, hi: 0.3 + Double(k % 7) * 0.08) } },
                                                     checkpoints: steps.count))
    }
    let quant = steps.map { s in [0.1, 0.3, 0.5, 0.7, 0.9].map { q in min(1, sig(s, mid: 1.2, lo: 0.58 * q + 0.1, hi: 1) * (0.9 + 0.1 * q)) } }
    let drift = TrackAnalysis.DriftSummary(steps: steps, toFinalQuantiles: quant,
                                    toPreviousMedian: steps.indices.map { $0 == 0 ? nil : 0.95 + 0.002 * Double($0) },
                                    scratch: .init(step: 600, method: "exactHungarian", liveChain: 400, liveScratch: 380, matched: 380,
                                                   matchedCosineQuantiles: [0.3, 0.5, 0.7, 0.85, 0.93], matchedCosineMean: 0.66,
                                                   mmcsChainToScratch: 0.7, mmcsScratchToChain: 0.72, sharedFraction: 0.48, threshold: 0.7),
                                    features: (0..<6).map { k in TrackAnalysis.FeatureCurve(feature: k * 101, label: "", values: steps.map { s in sig(s, mid: 1 + Double(k) * 0.2, lo: 0.3, hi: 1) }) })
    var rng = SeededRandom(seed: 1)
    let hists = [0, 16, 180, 540].map { s in
        let vals = (0..<1024).map { _ in min(1, max(-1, sig(s, mid: 1.2, lo: 0.55, hi: 0.99) + Double(rng.normal()) * 0.15)) }
        let h = HistogramSeries.binning(vals, name: "", bins: 100, range: -1...1)
        return TrackAnalysis.CosineHistogram(step: s, finalStep: 600, edges: h.edges, counts: h.counts)
    }
    let trajs = (0..<4).map { f in
        TrackAnalysis.FeatureTrajectory(feature: f * 7, label: labels[f], steps: steps,
                                        pc1: steps.indices.map { cos(Double($0) * 0.2 + Double(f)) * Double(steps.count - $0) },
                                        pc2: steps.indices.map { sin(Double($0) * 0.2) * Double(steps.count - $0) * 0.5 },
                                        explainedVariance: [0.7, 0.2])
    }
    let cSteps = Array(stride(from: 0, through: 150, by: 10)), sSteps = Array(stride(from: 0, through: 2000, by: 50))
    let conv = TrackAnalysis.ConvergenceComparison(
        checkpointStep: 600,
        chain: .init(run: "chain", steps: cSteps, loss: cSteps.map { 0.02 + 0.01 * exp(-Double($0) / 20) }, mse: cSteps.map { 0.01 + 0.01 * exp(-Double($0) / 20) },
                     l0: cSteps.map { 17 + 5 * exp(-Double($0) / 20) }, explainedVariance: cSteps.map { 0.98 - 0.05 * exp(-Double($0) / 20) }),
        scratch: .init(run: "scratch", steps: sSteps, loss: sSteps.map { 0.02 + 0.3 * exp(-Double($0) / 300) }, mse: sSteps.map { 0.01 + 0.2 * exp(-Double($0) / 300) },
                       l0: sSteps.map { 17 + 300 * exp(-Double($0) / 200) }, explainedVariance: sSteps.map { 0.975 - 0.9 * exp(-Double($0) / 300) }),
        chainFinalEV: 0.981, scratchFinalEV: 0.972, scratchStepsToMatchChain: nil)
    let manyConcepts = (0..<24).map { ("topic word \($0)", "concept", 0.9 + Double($0) * 0.07) }
    let gt = ([("sports words", "concept", 1.2), ("and", "token", -1.0), ("topic on function words", "concept", 1.4), ("inside quote", "structural", 1.8)] + manyConcepts).map { n, k, mid in
        TrackAnalysis.GroundTruthCurve(name: n, kind: k, steps: steps, auroc: steps.map { sig($0, mid: mid, lo: 0.52, hi: 0.99) },
                                       bestFeature: steps.map { _ in 12 }, formedStep: mid < 0 ? 0 : 32)
    }
    typealias Card = TrackAnalysis.FeatureCard
    let words = ["the", " team", " scores", " and", " \"", "ball", "\"", " is", " fast", ".", "\n"]
    func context(_ i: Int, band: String?) -> Card.Context {
        Card.Context(activation: Double(3 - i) * 1.3, tokens: words, activations: words.indices.map { $0 == 2 + i ? Double(3 - i) * 1.3 : ($0 % 3 == 0 ? 0.4 : 0) },
                     position: 2 + i, band: band)
    }
    func snapshot(_ s: Int) -> Card.Snapshot {
        let edges = (0...24).map { Double($0) * 0.2 }
        let counts = (0..<24).map { max(0, 30 - $0 * 2) }
        let lens = Card.LogitTokens(top: [.init(token: " goal", id: 5, logit: 2.1), .init(token: " match", id: 9, logit: 1.7)],
                                    bottom: [.init(token: " rain", id: 7, logit: -1.9)])
        return Card.Snapshot(step: s, density: 0.031, maxActivation: 4.8, histogramEdges: edges, histogramCounts: counts,
                             top: (0..<3).map { context($0, band: nil) }, quantileSamples: (0..<2).map { context($0, band: "25–50 %") }, logitLens: lens)
    }
    let labelRow = steps.map { s in Card.StepLabel(step: s, text: s < 32 ? "the / a" : "sports words", source: s < 32 ? "top_tokens" : "planted", auroc: s < 32 ? nil : 0.95) }
    let cards = [37, 52].map { f in
        Card(feature: f, kind: "conceptLevel", description: "best match for planted 'sports words'", plantedLabel: f == 37 ? "sports words" : nil,
             labels: labelRow, snapshots: [0, 32, 600].map(snapshot), aliveAtFinal: f == 37, formedStep: f == 37 ? 180 : nil, dissolved: f == 52)
    }
    var a = TrackAnalysis(meta: meta, summary: summary, progress: progress,
                         randomBaseline: [.init(measure: "activation cosine", steps: steps, values: steps.map { sig($0, mid: 1.4, lo: 0.05, hi: 0.3) })],
                         drift: drift, cosineHistograms: hists, trajectories: trajs, convergence: [conv], groundTruth: gt,
                         featureCards: cards, warnings: ["step64: model.safetensors sha256 differs from the recorded one"])
    let live = summary.map { Int(((1 - $0.deadFraction) * 1024).rounded()) }
    let intervals = steps.indices.dropFirst().map { k in
        TrackAnalysis.LifeInterval(fromStep: steps[k - 1], toStep: steps[k], births: k % 3, deaths: k % 3 + max(0, live[k - 1] - live[k]),
                                   born: Array(0..<(k % 3)), died: [], detectorsBefore: 20 + k, dissolutionCount: k == 9 ? 2 : 0,
                                   dissolutions: k == 9 ? [
                                       .init(feature: 52, label: "the", aurocBefore: 0.97, aurocAfter: 0.71, aliveAfter: true, labelBestFeatureAfter: 37,
                                             labelBestAurocAfter: 0.93, nowLabel: "sports words", top: (0..<3).map { context($0, band: nil) }),
                                       .init(feature: 99, label: "quote", aurocBefore: 0.9, aurocAfter: nil, aliveAfter: false, labelBestFeatureAfter: nil,
                                             labelBestAurocAfter: nil, nowLabel: "dead", top: []),
                                   ] : [])
    }
    a.lifeHistory = .init(steps: steps, live: live, threshold: 0.85, hasLabels: true, intervals: intervals)
    return a
}

@Suite("Report rendering")
struct ReportRenderingTests {
    @Test("linear ticks are 1/2/5 × 10^k multiples covering the niced domain")
    func linearTicks() {
        let s = PlotScale.niceLinear(0.013, 0.87)
        #expect(s.lower == 0 && abs(s.upper - 1.0) < 1e-12)
        let t = s.ticks(target: 5).map(\.label)
        #expect(t == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(PlotScale.niceStep(0.31) == 0.5 && PlotScale.niceStep(7) == 10 && PlotScale.niceStep(1.5) == 2)
    }

    @Test("every axis gets at least three labelled ticks, step axes show 0 and real step numbers")
    func enoughTicks() {
        // A narrow linear range (the demo's EV axis) and rounding noise in the step: 0.96, 0.97, 0.98, 0.99.
        let ev = PlotScale.niceLinear(0.962, 0.988)
        #expect(ev.ticks(target: 3).filter { !$0.isMinor }.map(\.label) == ["0.96", "0.97", "0.98", "0.99"])
        #expect(PlotScale(kind: .linear, lower: 0.5, upper: 0.52).ticks(target: 3).filter { !$0.isMinor }.count >= 3)
        // A log axis spanning less than a decade: plain 1-2-5 labels or a linear fallback, never a single label.
        for (lo, hi) in [(200.0, 600.0), (0.011, 0.019), (3.0, 40.0)] {
            let t = PlotScale(kind: .log, lower: lo, upper: hi).ticks(target: 4).filter { !$0.isMinor }
            #expect(t.count >= 3 && t.allSatisfy { $0.value >= lo * 0.999 && $0.value <= hi * 1.001 }, "\(lo)…\(hi): \(t.map(\.label))")
        }
        // Steps 0…600 on log10(step + 1): step 0 at the left end, labels are steps (99 is not "10²").
        let steps = PlotScale(kind: .stepLog, lower: 0, upper: 600, pixelStart: 0, pixelEnd: 600)
        let labels = steps.ticks(target: 7).filter { !$0.isMinor }.map(\.label)
        #expect(labels.first == "0" && labels.contains("10") && labels.contains("100") && !labels.contains { $0.contains("10²") })
        #expect(abs(steps.pixel(0)) < 1e-9 && abs(steps.pixel(99) - 600 * 2 / log10(601)) < 1e-6)
        let short = PlotScale(kind: .stepLog, lower: 200, upper: 600).ticks(target: 4).filter { !$0.isMinor }
        #expect(short.count >= 3, "\(short.map(\.label))")
    }

    @Test("heatmap outlines are drawn row by row, left to right, whatever the set's order, so report.html is the same on every run")
    func heatmapOutlineOrder() throws {
        let cells = (0..<6).flatMap { r in [(r * 5) % 7, (r * 3 + 1) % 7].map { [r, $0] } }
        var roomy = Set<[Int]>(minimumCapacity: 4096)         // another bucket count: another iteration order
        for c in cells.reversed() { roomy.insert(c) }
        let values = (0..<6).map { r in (0..<7).map { c -> Double? in Double(r * 7 + c) / 42 } }
        func chart(_ outlined: Set<[Int]>) -> String {
            HeatmapChart(rows: (0..<6).map { "label \($0)" }, columns: Array(0..<7), values: values, range: 0...1,
                         outlined: outlined, valueName: "AUROC").svg(id: "h")
        }
        let svg = chart(Set(cells))
        #expect(svg == chart(roomy))
        // The outlines' (y, x) in drawing order.
        let outline = try Regex(##"<rect x="([0-9.]+)" y="([0-9.]+)" width="[0-9.]+" height="[0-9.]+" fill="none" stroke="#d62728" stroke-width="2"/>"##)
        var drawn: [(y: Double, x: Double)] = []
        for m in svg.matches(of: outline) {
            let x = Double(String(m.output[1].substring ?? "")) ?? .nan, y = Double(String(m.output[2].substring ?? "")) ?? .nan
            drawn.append((y, x))
        }
        #expect(drawn.count == Set(cells).count)
        #expect(zip(drawn, drawn.dropFirst()).allSatisfy { a, b in a.y < b.y || (a.y == b.y && a.x < b.x) }, "\(drawn)")
    }

    @Test("log ticks: decades labelled 10^k with unlabelled minor ticks 2…9")
    func logTicks() {
        let s = PlotScale(kind: .log, lower: 1, upper: 1000, pixelStart: 0, pixelEnd: 300)
        let major = s.ticks().filter { !$0.isMinor }
        #expect(major.map(\.label) == ["10⁰", "10¹", "10²", "10³"])
        #expect(s.ticks().filter(\.isMinor).count == 24)
        #expect(abs(s.pixel(10) - 100) < 1e-9 && abs(s.pixel(100) - 200) < 1e-9)
    }

    @Test("life history: a live-count strip under every drift and formation figure, and the dissolved detectors with their new top activations")
    func lifeHistory() throws {
        let a = sampleAnalysis()
        let html = TrackReport.html(a)
        #expect(html.contains("id=\"life\""))
        // Formation: 4 progress measures + random baseline; ground truth: 4 kinds' figures; drift: quantiles,
        // per-feature, histogram, trajectories (one strip for the group); plus none elsewhere.
        let strips = html.components(separatedBy: "<div class=\"livestrip\">").count - 1
        #expect(strips == a.progress.count + 1 + 3 + 3 + 1, "\(strips) live strips")
        for section in ["formation", "groundtruth", "drift"] {
            let start = html.range(of: "id=\"\(section)\"")!.upperBound
            let end = html[start...].range(of: "<h2")?.lowerBound ?? html.endIndex
            let body = html[start..<end]
            #expect(body.contains("livestrip") && body.contains("live features (firing on at least one held-out token)"), "\(section)")
        }
        let convergence = html.range(of: "id=\"convergence\"")!.upperBound
        #expect(!html[convergence...].contains("livestrip"))
        // The dissolution table: both dissolved features, the live one with its new contexts, the dead one as dead.
        let life = html[html.range(of: "id=\"life\"")!.upperBound...]
        #expect(life.contains("#52") && life.contains("0.970 → 0.710") && life.contains("sports words") && life.contains("#37 (0.930)"))
        #expect(life.contains("#99") && life.contains("0.900 → dead"))
        #expect(life.components(separatedBy: "class=\"tok focus\"").count - 1 >= 3)
        // Counts of every interval in the table; the live numbers are those of the analysis.
        #expect(life.contains("\(a.lifeHistory!.live[0]) → \(a.lifeHistory!.live[1])"))
        // Without a life history (an analysis.json written before it existed) nothing of it is drawn.
        var old = a
        old.lifeHistory = nil
        let plain = TrackReport.html(old)
        #expect(!plain.contains("livestrip") && !plain.contains("id=\"life\""))
        let decoded = try AnalysisExport.jsonDecoder.decode(TrackAnalysis.self, from: AnalysisExport.jsonEncoder.encode(old))
        #expect(decoded.lifeHistory == nil)
        let roundTrip = try AnalysisExport.jsonDecoder.decode(TrackAnalysis.self, from: AnalysisExport.jsonEncoder.encode(a))
        #expect(roundTrip.lifeHistory == a.lifeHistory)
    }

    @Test("report renders every section as well-formed inline SVG without NaN")
    func rendersEverything() throws {
        let html = TrackReport.html(sampleAnalysis())
        for id in ["findings", "summary", "formation", "groundtruth", "drift", "convergence", "cards", "settings"] {
            #expect(html.contains("id=\"\(id)\""), "missing section \(id)")
        }
        #expect(html.components(separatedBy: "<svg").count - 1 == html.components(separatedBy: "</svg>").count - 1)
        #expect(html.components(separatedBy: "<svg").count - 1 >= 15)
        #expect(!html.contains("NaN") && !html.contains("nan\""))
        // Scripts are inline only: nothing loads from a file or the network.
        #expect(!html.contains("<script src") && !html.contains("<link"))
        #expect(html.contains("id=\"feature-index\"") && html.contains("id=\"feature-37\"") && html.contains("id=\"feature-52\""))
        #expect(!html.contains("http://") || !html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"))
        if let path = ProcessInfo.processInfo.environment["SAETRACK_REPORT_PREVIEW"] {
            try html.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}
