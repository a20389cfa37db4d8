import ArgumentParser
import SAETrack

@main
struct SAETrackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saetrack",
        abstract: "Track how SAE features form and drift across a language model's training checkpoints.",
        subcommands: [
            // One line per command; each command lives in its own file.
            ActivationsCommand.self,
            BenchCommand.self,
            TokenizeCommand.self,
            CorpusCommand.self,
            TrainLMCommand.self,
            TrackCommand.self,
            TrainSAECommand.self,
            AnalyzeCommand.self,
            InspectCommand.self,
            DemoCommand.self,
        ]
    )
}
