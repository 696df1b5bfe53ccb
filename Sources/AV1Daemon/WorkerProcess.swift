import Foundation
import NativeEncode
import LinuxSupport
import WorkerProtocol

/// One `av1d worker` child process. A crash, abort or hang in the C libraries costs only this
/// process; its JSON lines arrive through `onMessage`, its end through `onExit`, both on `queue`.
public final class WorkerProcess: @unchecked Sendable {
    public enum Exit: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exited with status \(code)"
            case .signalled(let signal): "killed by signal \(signal) (\(String(cString: strsignal(signal))))"
            }
        }
    }

    public static let supervisorVariable = "AV1D_SUPERVISOR_PID"
    private let process = Process()
    private let queue: DispatchQueue
    /// When the worker last said something, on the monotonic clock: stepping the wall clock
    /// (NTP, a user) must not make every worker look stalled.
    public private(set) var lastMessageAt = DispatchTime.now()
    public var pid: Int32 { process.processIdentifier }

    /// Starts `executable` as a worker and hands it `request` on its stdin. Standard error is
    /// passed through (the journal gets it).
    public init(executable: String, request: WorkerRequest, queue: DispatchQueue,
                onMessage: @escaping @Sendable (WorkerMessage) -> Void,
                onExit: @escaping @Sendable (Exit) -> Void) throws {
        self.queue = queue
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = WorkerRequest.arguments
        // Lets the worker ask to die with us (see `ProcessLifetime`). Swift's backtracer stays off:
        // it would catch a fatal signal sent to a worker and let the worker run on.
        process.environment = ProcessInfo.processInfo.environment.merging(
            [Self.supervisorVariable: "\(getpid())", "SWIFT_BACKTRACE": "enable=no"]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        let input = Pipe()
        process.standardInput = input
        let reader = output.fileHandleForReading
        let linesDone = DispatchSemaphore(value: 0)
        process.terminationHandler = { [queue] finished in
            let exit: Exit = finished.terminationReason == .uncaughtSignal
                ? .signalled(finished.terminationStatus) : .exited(finished.terminationStatus)
            // Deliver every line before the exit, so the last word of the worker is not lost.
            linesDone.wait()
            queue.async { onExit(exit) }
        }
        try process.run()
        // One small line fits the pipe's buffer: this never blocks.
        try input.fileHandleForWriting.write(contentsOf: try request.line())
        try input.fileHandleForWriting.close()
        Thread.detachNewThread { [weak self] in
            var lines = DescriptorLines(reader.fileDescriptor)
            while let line = lines.next() {
                guard let message = WorkerMessage.parse(Data(line)) else { continue }
                queue.async { [weak self] in
                    self?.lastMessageAt = DispatchTime.now()
                    onMessage(message)
                }
            }
            linesDone.signal()
        }
    }

    /// Seconds since the worker last said something (or started), on the monotonic clock.
    public var silence: TimeInterval {
        Double(DispatchTime.now().uptimeNanoseconds - lastMessageAt.uptimeNanoseconds) / 1e9
    }

    /// Resident memory of the worker now.
    /// With its chunk worker processes, if it runs any.
    public var residentBytes: Int { ProcessMemory.treeRSS(pid: pid) }

    public func signal(_ number: Int32) {
        if process.isRunning { kill(pid, number) }
    }

    public var isRunning: Bool { process.isRunning }
}
