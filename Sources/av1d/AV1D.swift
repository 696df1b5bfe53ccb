import ArgumentParser
import AV1Daemon
import Foundation
import NativeEncode

@main
struct AV1D: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "av1d",
        abstract: "Re-encodes media libraries to AV1, in process, without losing a file.",
        subcommands: [RunCommand.self, EncodeCommand.self, ScanCommand.self, StatusCommand.self, WorkerCommand.self, ChunkWorkerCommand.self,
                      TopologyCommand.self, TopCommand.self, BenchCommand.self],
        // `av1d --config FILE` runs the daemon: the users' unit files call it that way.
        defaultSubcommand: RunCommand.self)

    static func main() {
        // Chunked encodes run their chunk workers as processes of this same program.
        ChunkWorkerProcess.executable = SelfExecutable.path
        main(nil)
    }
}

/// `--config`, shared by the commands that read the daemon's configuration.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The daemon's TOML configuration.")
    var config = "/etc/av1d/config.toml"

    /// The configuration, or exit 1 with one line naming the file, line and key.
    func load() throws -> DaemonConfig {
        do { return try DaemonConfig.load(path: config).config } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
    }
}

extension DaemonConfig {
    /// The job store as `av1d status` and `av1d scan` read it, or exit 1 with one line naming
    /// the folder when it is there but cannot be read.
    func storedJobs() throws -> StoredJobs {
        do { return try JobStore.read(directory: jobStateDir) } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
    }

    /// Said by status and scan when `job_state_dir` does not exist yet.
    var nothingRunYet: String {
        "nothing has run yet: no job store at \(jobStateDir) (the daemon creates it when it first runs)"
    }
}

/// This program's own path: workers are the same binary.
enum SelfExecutable {
    static var path: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
