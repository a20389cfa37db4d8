import ArgumentParser

/// `saetrack bench …`: the throughput harnesses. Each harness is a subcommand in its own file
/// (`Bench<Name>Command.swift`); add one line to the list below for a new one.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Throughput harnesses: GFLOP/s and tokens/s, with the baselines they are judged against.",
        subcommands: [
            BenchGEMMCommand.self,
            BenchLMCommand.self,
            BenchSAECommand.self,
            BenchTrainLMCommand.self,
        ]
    )
}
