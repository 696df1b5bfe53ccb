import CLinuxShims
import Foundation
import LinuxSupport

/// One `av1d chunk-worker` process, seen from the job: chunks go in as `ChunkTask` lines on its
/// standard input, `ChunkWorkerReport` lines come back on its standard output.
package final class ChunkWorkerProcess {
    /// The program that serves `chunk-worker` (av1d itself). Set once at start-up by the program;
    /// without it titles are encoded in one piece.
    nonisolated(unsafe) package static var executable: String?

    let pid: pid_t
    private let input: Int32
    private let output: Int32
    private var lines: DescriptorLines
    private var exit: String?
    /// The process's peak resident memory, known once it has ended.
    private(set) var peakRSSBytes = 0
    private var closed = false

    /// How one chunk handed to the process ended.
    enum Outcome {
        case finished(ChunkFolder.FinishedChunk)
        case failed(ChunkFailure)
        /// The process ended without a word on the chunk (a crash, a kill): how it ended.
        case died(String)
    }

    /// Starts the process and sends it its setup.
    init(executable: String, setup: ChunkWorkerSetup) throws(SystemError) {
        var toChild: [Int32] = [-1, -1], fromChild: [Int32] = [-1, -1]
        // Close-on-exec, so no other child this process spawns holds a pipe open.
        guard av1d_pipe_cloexec(&toChild) == 0 else { throw SystemError("pipe2") }
        guard av1d_pipe_cloexec(&fromChild) == 0 else {
            close(toChild[0]); close(toChild[1])
            throw SystemError("pipe2")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        // Swift's backtracer would hold a crashing worker for seconds; the job retries its chunk.
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        let argv = CStrings([executable, "chunk-worker"])
        let envp = CStrings(environment.map { "\($0.key)=\($0.value)" })
        var spawned: pid_t = 0
        let code = posix_spawn(&spawned, executable, &actions, nil, argv.pointers, envp.pointers)
        close(toChild[0])
        close(fromChild[1])
        guard code == 0 else {
            close(toChild[1]); close(fromChild[0])
            throw SystemError("start \(executable) chunk-worker", code: code)
        }
        pid = spawned
        input = toChild[1]
        output = fromChild[0]
        lines = DescriptorLines(fromChild[0])
        // Encoding plain values cannot fail.
        send((try? JSONEncoder.av1d.encode(setup)) ?? Data())
    }

    /// Hands over one chunk and waits for its end; `onPicture` gets each encoded picture's size
    /// and whether it is a keyframe.
    func encode(_ task: ChunkTask, onPicture: (Int, Bool) -> Void) -> Outcome {
        send((try? JSONEncoder.av1d.encode(task)) ?? Data())
        while let line = lines.next() {
            guard let report = try? JSONDecoder.av1d.decode(ChunkWorkerReport.self, from: Data(line)) else { continue }
            switch report {
            case .picture(let bytes, let isKeyframe): onPicture(bytes, isKeyframe)
            case .finished(let chunk): return .finished(chunk)
            case .failed(let failure): return .failed(failure)
            }
        }
        return .died(waitForExit())
    }

    /// No more chunks: the process ends once it reads the end of its input.
    func finish() {
        guard !closed else { return }
        closed = true
        close(input)
        _ = waitForExit()
        close(output)
    }

    /// Ends the process at once (the job stops); `encode` then returns `.died`.
    func kill() { Glibc.kill(pid, SIGKILL) }

    /// A write to a process that is gone fails with EPIPE (`ChunkedRun` has SIGPIPE ignored); its
    /// output then ends, which `encode` reports.
    private func send(_ json: Data) {
        var line = [UInt8](json)
        line.append(UInt8(ascii: "\n"))
        var offset = 0
        while offset < line.count {
            let written = line[offset...].withUnsafeBytes { Glibc.write(input, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }

    /// Reaps the process once and says how it ended ("exited with status 1", "killed by signal 11 (...)").
    private func waitForExit() -> String {
        if let exit { return exit }
        var status: Int32 = 0
        var usage = rusage()
        var reaped = wait4(pid, &status, 0, &usage)
        while reaped < 0 && errno == EINTR { reaped = wait4(pid, &status, 0, &usage) }
        peakRSSBytes = usage.ru_maxrss * 1024
        let ended: String
        if reaped != pid {
            ended = "could not be waited for"
        } else if status & 0x7f == 0 {
            ended = "exited with status \((status >> 8) & 0xff)"
        } else {
            let signal = status & 0x7f
            ended = "killed by signal \(signal) (\(String(cString: strsignal(signal))))"
        }
        exit = ended
        return ended
    }

    deinit {
        if exit == nil && !closed { kill() }
        finish()
    }
}
