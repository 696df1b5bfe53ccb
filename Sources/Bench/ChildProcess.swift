import Foundation
import LinuxSupport
import NativeEncode

/// A program to run with its output in files.
public struct ChildCommand: Sendable {
    public var executable: String
    public var arguments: [String]
    /// Added to (or replacing in) this process's environment.
    public var environment: [String: String]
    public var standardOutput: String
    public var standardError: String

    public init(executable: String, arguments: [String], environment: [String: String] = [:],
                standardOutput: String = "/dev/null", standardError: String = "/dev/null") {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.standardOutput = standardOutput
        self.standardError = standardError
    }
}

/// How a program run went, measured as `time` measures it: of that child alone.
public struct ChildOutcome: Sendable {
    /// The exit status; nil when a signal ended it.
    public var exitStatus: Int32?
    public var wallSeconds: Double
    /// User plus system time of all its threads.
    public var cpuSeconds: Double
    public var peakRSSBytes: Int

    public var succeeded: Bool { exitStatus == 0 }
}

/// Runs programs through `posix_spawn` and `wait4`, which (unlike `Process`) report the child's
/// own CPU time and peak memory.
public enum ChildProcesses {
    public struct SpawnFailure: Error, CustomStringConvertible {
        public let executable: String
        public let code: Int32
        public var description: String { "cannot run \(executable): \(String(cString: strerror(code)))" }
    }

    /// Starts every command at once and waits for all of them. Each wall time runs from the
    /// common start to that child's exit.
    public static func run(_ commands: [ChildCommand]) throws(SpawnFailure) -> [ChildOutcome] {
        let start = Monotonic.seconds()
        var pids: [pid_t] = []
        for command in commands {
            do { pids.append(try spawn(command)) } catch {
                for pid in pids { kill(pid, SIGKILL) }
                _ = reap(pids, start: start)
                throw error
            }
        }
        return reap(pids, start: start)
    }

    /// Waits for each child on a thread of its own, so every exit is seen when it happens. Only
    /// these children are waited for: a process may have others that are not ours to reap.
    private static func reap(_ pids: [pid_t], start: Double) -> [ChildOutcome] {
        let outcomes = OutcomeSlots(count: pids.count)
        let waiters = pids.enumerated().map { index, pid in
            PipelineThread(name: "av1d-bench-wait") { outcomes.store(reap(pid, start: start), at: index) }
        }
        waiters.forEach { $0.join() }
        return outcomes.all
    }

    /// Nil if the child could not be waited for.
    private static func reap(_ pid: pid_t, start: Double) -> ChildOutcome? {
        var status: Int32 = 0
        var usage = rusage()
        var reaped = wait4(pid, &status, 0, &usage)
        while reaped < 0 && errno == EINTR { reaped = wait4(pid, &status, 0, &usage) }
        guard reaped == pid else { return nil }
        return ChildOutcome(exitStatus: exitStatus(status), wallSeconds: Monotonic.seconds() - start,
                            cpuSeconds: usage.ru_utime.seconds + usage.ru_stime.seconds,
                            peakRSSBytes: usage.ru_maxrss * 1024)
    }

    private static func spawn(_ command: ChildCommand) throws(SpawnFailure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, command.standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, command.standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var environment = ProcessInfo.processInfo.environment
        environment.merge(command.environment) { _, new in new }
        let argv = CStrings([command.executable] + command.arguments)
        let envp = CStrings(environment.map { "\($0.key)=\($0.value)" })
        var pid: pid_t = 0
        let code = posix_spawn(&pid, command.executable, &actions, nil, argv.pointers, envp.pointers)
        guard code == 0 else { throw SpawnFailure(executable: command.executable, code: code) }
        return pid
    }

    /// The exit code from a `wait` status, or nil if a signal ended the child
    /// (`WIFEXITED`/`WEXITSTATUS` are macros Swift cannot call).
    private static func exitStatus(_ status: Int32) -> Int32? {
        status & 0x7f == 0 ? (status >> 8) & 0xff : nil
    }
}

/// Where the waiting threads leave their children's outcomes.
private final class OutcomeSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [ChildOutcome?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func store(_ outcome: ChildOutcome?, at index: Int) {
        lock.withLock { slots[index] = outcome }
    }

    /// Every outcome; a child that could not be waited for counts as a failure.
    var all: [ChildOutcome] {
        lock.withLock { slots.map { $0 ?? ChildOutcome(exitStatus: nil, wallSeconds: 0, cpuSeconds: 0, peakRSSBytes: 0) } }
    }
}
