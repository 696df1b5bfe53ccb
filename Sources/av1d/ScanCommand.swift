import ArgumentParser
import AV1Daemon
import Foundation

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Dry run: list what would be encoded and what is skipped, and why. Changes nothing.")

    @OptionGroup var configOption: ConfigOption

    func run() throws {
        let config = try configOption.load()
        let stored = try config.storedJobs()
        if case .nothingRunYet = stored { print(config.nothingRunYet) }
        let (lines, unreadable) = DryRun(config: config, executable: SelfExecutable.path, jobs: stored.records).run()
        for folder in unreadable { print("unreadable folder: \(folder)") }
        for line in lines {
            let saving = line.verdict == .encode ? "; saves ~\(Format.bytes(line.expectedSaving)) (guess)" : ""
            print("\(line.verdict.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(Format.bytes(line.size).padding(toLength: 10, withPad: " ", startingAt: 0)) \(line.path): \(line.reason)\(saving)")
        }
        let encode = lines.filter { $0.verdict == .encode }
        print("\(encode.count) to encode (\(Format.bytes(encode.reduce(0) { $0 + $1.size }))), saves ~\(Format.bytes(encode.reduce(0) { $0 + $1.expectedSaving })) (guess); \(lines.count - encode.count) not")
    }
}
