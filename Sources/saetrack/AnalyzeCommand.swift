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
            report.html (inline SVG and one small inline script, no network), plus features.csv with --all-features. \
            Every file and column: Docs/Formats.md.
            """
    )

    @Option(name: .long, help: "Track directory written by `saetrack track` (or the demo).") var track: String
    @Option(name: .long, help: "Output directory.") var out: String
    @Option(name: .long, help: "tokenizer.json for decoding feature cards (default: the one recorded by `track`).") var tokenizer: String?
    @Option(name: .long, help: "Report title.") var title = "SAE-Track report"
    @Option(name: .customLong("tracked-features"), help: "Features followed with a card, a progress curve and a trajectory: planted-label matches first, then seeded random live features.") var trackedFeatures = 10
    @Option(name: .customLong("card-checkpoints"), help: "Checkpoints with a full feature-card snapshot (spread over the chain, first and last included).") var cardCheckpoints = 4
    @Flag(name: .customLong("all-features"), help: "Also write features.csv: density, max activation and decoder drift of every feature that fires, at every checkpoint.") var allFeatures = false
    @Flag(name: .customLong("no-logit-lens"), help: "Do not read the checkpoints' model weights for the feature cards' logit lens.") var noLogitLens = false

    func run() throws {
        let dir = URL(fileURLWithPath: track)
        var analyzer = TrackAnalyzer(directory: dir)
        analyzer.title = title
        analyzer.trackedFeatures = trackedFeatures
        analyzer.cardSnapshots = cardCheckpoints
        analyzer.exportAllFeatures = allFeatures
        analyzer.logitLens = !noLogitLens
        if let path = try tokenizer ?? EvaluationInputs.read(from: dir)?.tokenizer {
            analyzer.decode = try TokenDecoding.decoder(tokenizerJSON: URL(fileURLWithPath: path))
        }
        let analysis = try analyzer.analyze()
        let report = try AnalysisExport.write(analysis, to: URL(fileURLWithPath: out))
        for s in TrackFindings.sentences(for: analysis) { print("• " + s) }
        print("report: \(report.path)")
    }
}
