import ArgumentParser
import Foundation
import SAETrack

/// `saetrack analyze`: drift, formation, semantics, ground truth, convergence → JSON/CSV + report.html.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse a track: drift, progress measures, phases, ground truth, convergence → analysis.json, CSVs and report.html.",
        discussion: """
            Reads <track>/track.json, the chain's SAEs and the held-out activations cached by `track`; no language \
            model is run. Writes <out>/analysis.json (every figure's data), one CSV per figure and a self-contained \
            report.html (inline SVG, no scripts, no network).
            """
    )

    @Option(name: .long, help: "Track directory written by `saetrack track` (or the demo).") var track: String
    @Option(name: .long, help: "Output directory.") var out: String
    @Option(name: .long, help: "tokenizer.json for decoding feature cards (default: the one recorded by `track`).") var tokenizer: String?
    @Option(name: .long, help: "Report title.") var title = "SAE-Track report"
    @Option(name: .customLong("tracked-features"), help: "Random live features followed besides planted-label matches.") var trackedFeatures = 8

    func run() throws {
        let dir = URL(fileURLWithPath: track)
        var analyzer = TrackAnalyzer(directory: dir)
        analyzer.title = title
        analyzer.trackedFeatures = trackedFeatures
        if let path = try tokenizer ?? EvaluationInputs.read(from: dir)?.tokenizer {
            analyzer.decode = try TokenDecoding.decoder(tokenizerJSON: URL(fileURLWithPath: path))
        }
        let analysis = try analyzer.analyze()
        let report = try AnalysisExport.write(analysis, to: URL(fileURLWithPath: out))
        for s in TrackFindings.sentences(for: analysis) { print("• " + s) }
        print("report: \(report.path)")
    }
}
