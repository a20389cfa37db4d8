import ArgumentParser
import Foundation
import SAETrack

/// `saetrack demo`: the embedded default, end to end.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Synthetic corpus → tiny LM with a log-spaced checkpoint series → live SAE-Track → baselines and a crosscoder (the head-to-head) → report.html.",
        discussion: """
            Defaults (Docs/Demo.md) finish in about 5 minutes on 2 cores; --quick is a sub-minute smoke run. \
            Rerunning on the same --out resumes. Progress on stderr and in <out>/demo.log; a summary of the \
            findings and the report's path on stdout.
            """
    )

    @Option(name: .long, help: "Output directory.") var out = "demo-out"
    @Flag(name: .long, help: "Sub-minute smoke run (tiny corpus, LM and SAE).") var quick = false
    @Flag(name: .customLong("resample-dead"),
          help: "Resample dead SAE features at steps 200, 400, 600 of the first stage and 0, 50, 100 of every continual stage (Docs/Method.md §5.5; not in the paper).")
    var resampleDead = false

    func run() throws {
        var settings: DemoSettings = quick ? .quick : .standard
        if resampleDead {
            settings.track.firstResampling = TrackSettings.demoResampling.firstResampling
            settings.track.continualResampling = TrackSettings.demoResampling.continualResampling
        }
        let demo = SAETrackDemo(settings: settings, out: URL(fileURLWithPath: out))
        let result = try demo.run()
        print("SAE-Track demo — findings")
        for line in result.summary { print(line) }
    }
}
