import ArgumentParser

@main
struct AV1D: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "av1d",
        abstract: "Re-encodes media libraries to AV1, in process, without losing a file.",
        subcommands: [EncodeCommand.self])
}
