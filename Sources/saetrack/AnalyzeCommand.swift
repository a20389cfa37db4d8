import ArgumentParser
import Foundation
import SAETrack
import SAETrackCLIOptions

/// `saetrack analyze`: drift, formation, semantics, ground truth, convergence → JSON/CSV + report.html.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse a track: drift, progress measures, phases, ground truth, convergence → analysis.json, CSVs and report.html.",
        discussion: """
            Reads <track>/track.json, the chain's SAEs and the held-out activations cached by `track`; no language \
            model is run. Writes <out>/analysis.json (every figure's data), one CSV per figure and a self-contained \
            report.html (inline SVG and one small inline script, no network), plus features.csv with --all-features \
            (every file and column: Docs/Formats.md). A track with unfinished stages is refused unless \
            --allow-partial is given; then analysis.json (missing_stages and the first warning), every CSV (a last \
            column partial = true), the report's top and the printed findings say which stages are missing, and the \
            last finished stage stands in for the final SAE.
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
    @Flag(name: .customLong("allow-partial"), help: "Analyse a track whose chain is not finished; every output is marked partial and names the missing stages.")
    var allowPartial = false

    func run() throws {
        let dir = URL(fileURLWithPath: track)
        let state = try TrackState.read(from: dir)
        let missing = state.unfinishedStages.map(\.step)
        var partialNote: String?
        if !missing.isEmpty {
            let steps = missing.map(String.init).joined(separator: ", ")
            guard allowPartial else { throw TrackAnalysisRefusal.unfinished(track: dir.path, missing: steps, total: state.stages.count) }
            partialNote = "PARTIAL: the track is unfinished; \(missing.count) of \(state.stages.count) stages are missing "
                + "(checkpoint steps \(steps)). The last finished stage stands in for the final SAE, so drift to the final SAE "
                + "and every 'final' figure describe a shorter chain."
        }
        var analyzer = TrackAnalyzer(directory: dir)
        analyzer.title = title
        analyzer.trackedFeatures = trackedFeatures
        analyzer.cardSnapshots = cardCheckpoints
        analyzer.exportAllFeatures = allFeatures
        analyzer.logitLens = !noLogitLens
        if let path = try tokenizer ?? EvaluationInputs.read(from: dir)?.tokenizer {
            analyzer.decode = try TokenDecoding.decoder(tokenizerJSON: URL(fileURLWithPath: path))
        }
        var analysis = try analyzer.analyze()
        if let partialNote {
            analysis.warnings.insert(partialNote, at: 0)
            analysis.missingStages = missing
            StandardError.writeLine("warning: " + partialNote)
        }
        let report = try AnalysisExport.write(analysis, to: URL(fileURLWithPath: out))
        for s in TrackFindings.sentences(for: analysis) { print("• " + s) }
        print("report: \(report.path)")
    }
}

/// `analyze` refuses a track whose chain is not finished unless `--allow-partial` is given.
enum TrackAnalysisRefusal: Error, CustomStringConvertible {
    case unfinished(track: String, missing: String, total: Int)

    var description: String {
        switch self {
        case let .unfinished(t, m, n):
            return "\(t): the track is unfinished (stages at checkpoint steps \(m) of \(n) are not done); finish it by rerunning "
                + "`saetrack track` with the same flags, or pass --allow-partial to analyse what exists (outputs are marked partial)"
        }
    }
}
