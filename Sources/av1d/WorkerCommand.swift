import ArgumentParser
import AV1Daemon
import Foundation
import NativeEncode

/// The daemon's worker processes: one hostile file can crash only its own worker.
/// They speak JSON lines on stdout (see `WorkerMessage`).
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Internal: the daemon's worker processes.",
        shouldDisplay: false,
        subcommands: [Probe.self, Encode.self])

    /// A worker never outlives the supervisor that started it.
    static func bindToSupervisor() {
        if let pid = ProcessInfo.processInfo.environment[WorkerProcess.supervisorVariable].flatMap(Int32.init) {
            ProcessLifetime.endWithParent(expectedParent: pid)
        }
    }

    static func emit(_ message: WorkerMessage) {
        FileHandle.standardOutput.write(message.line())
    }

    struct Probe: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Inspect one file.")

        @Argument var input: String

        func run() throws {
            WorkerCommand.bindToSupervisor()
            do {
                WorkerCommand.emit(WorkerMessage(event: .probed, probe: ProbeFacts(try MediaProbe.inspect(path: input))))
            } catch {
                WorkerCommand.emit(WorkerMessage(event: .failed, reason: "\(error)"))
                throw ExitCode(1)
            }
        }
    }

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Encode one file, then verify the output independently.")

        @OptionGroup var options: EncodeOptions

        func run() throws {
            WorkerCommand.bindToSupervisor()
            let stop = StopFlag()
            let signals = SignalWatch(stop: stop)
            defer { signals.cancel() }
            do {
                let summary = try Transcoder(settings: options.settings).encode(
                    input: options.input, output: options.destination, overwrite: options.overwrite,
                    observer: { WorkerCommand.emit(WorkerMessage(event: .progress, progress: $0)) }, stop: stop)
                WorkerCommand.emit(WorkerMessage(event: .stage, stage: "verifying"))
                let report = try OutputVerifier.verify(
                    path: summary.output, expectedFrames: summary.framesDecoded,
                    expectedDurationSeconds: summary.durationSeconds, expectedStreamKinds: summary.streamKinds,
                    progress: { WorkerCommand.emit(WorkerMessage(event: .stage, stage: "verifying \($0) frames")) })
                WorkerCommand.emit(WorkerMessage(event: .verified, summary: summary, verification: report))
            } catch .nothingToDo(let reason) {
                WorkerCommand.emit(WorkerMessage(event: .nothingToDo, reason: "\(EncodeError.nothingToDo(reason))"))
                throw ExitCode(3)
            } catch {
                WorkerCommand.emit(WorkerMessage(event: .failed, reason: "\(error)"))
                throw ExitCode(1)
            }
        }
    }
}
