import ArgumentParser
import AV1Daemon
import Foundation
import NativeEncode
import WorkerProtocol

/// The daemon's worker processes: one hostile file can crash only its own worker. Each reads
/// one `WorkerRequest` line on stdin and answers with `WorkerMessage` lines on stdout.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Internal: one of the daemon's worker processes (a JSON request on stdin).",
        shouldDisplay: false)

    func run() throws {
        bindToSupervisor()
        let request: WorkerRequest
        do {
            // The supervisor writes one line and closes the pipe.
            let input = FileHandle.standardInput.readDataToEndOfFile()
            request = try WorkerRequest.parse(input.prefix { $0 != UInt8(ascii: "\n") })
        } catch {
            emit(WorkerMessage(event: .failed, reason: error.description))
            throw ExitCode(64)
        }
        switch request.task {
        case .probe: try probe(request.input)
        case .encode: try encode(request.input, to: request.output!, settings: request.settings!)
        }
    }

    /// A worker never outlives the supervisor that started it.
    private func bindToSupervisor() {
        if let pid = ProcessInfo.processInfo.environment[WorkerProcess.supervisorVariable].flatMap(Int32.init) {
            ProcessLifetime.endWithParent(expectedParent: pid)
        }
    }

    private func emit(_ message: WorkerMessage) {
        FileHandle.standardOutput.write(message.line())
    }

    private func probe(_ input: String) throws {
        do {
            emit(WorkerMessage(event: .probed, probe: ProbeFacts(try MediaProbe.inspect(path: input))))
        } catch {
            emit(WorkerMessage(event: .failed, reason: "\(error)"))
            throw ExitCode(1)
        }
    }

    /// Encodes, then verifies the output independently of the encode.
    private func encode(_ input: String, to output: String, settings: EncodeSettings) throws {
        let stop = StopFlag()
        let signals = SignalWatch(stop: stop)
        defer { signals.cancel() }
        do {
            let summary = try Transcoder(settings: settings).encode(
                input: input, output: output, overwrite: true,
                observer: { emit(WorkerMessage(event: .progress, progress: $0)) }, stop: stop)
            emit(WorkerMessage(event: .stage, stage: "verifying"))
            let report = try OutputVerifier.verify(
                path: summary.output, summary: summary,
                progress: { emit(WorkerMessage(event: .stage, stage: "verifying \($0) frames")) })
            emit(WorkerMessage(event: .verified, summary: summary, verification: report))
        } catch .nothingToDo(let reason) {
            emit(WorkerMessage(event: .nothingToDo, reason: "\(EncodeError.nothingToDo(reason))"))
            throw ExitCode(3)
        } catch {
            let kind = FailureKind.of(error, outputFolder: (output as NSString).deletingLastPathComponent)
            emit(WorkerMessage(event: .failed, reason: "\(error)", failure: kind))
            throw ExitCode(1)
        }
    }
}
