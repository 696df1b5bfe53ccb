@_exported import TestSupport
@testable import AV1Daemon
import Foundation
import Placement
import Synchronization
import Testing
import WorkerProtocol

/// A daemon as the control surfaces see it: one running job, a queue, recent jobs, and the
/// requests it was sent. The real supervisor implements the same protocol.
final class FakeDaemon: DaemonControl {
    static let jobID = "job-7f3a"
    static let runningPath = "/media/movies/Big Buck Bunny.mkv"
    static let failedPath = "/media/tv/broken episode.mkv"

    private struct State {
        var paused = false
        var requests: [ControlRequest] = []
    }

    private let state = Mutex(State())
    /// A CPU over its thermal limit: admission paused, a sensor reading and a governor warning.
    let hot: Bool

    init(hot: Bool = false) {
        self.hot = hot
    }

    var paused: Bool { state.withLock { $0.paused } }
    var requests: [ControlRequest] { state.withLock { $0.requests } }

    func snapshot() -> DaemonSnapshot {
        var totals = StatusReport.Totals()
        totals.success = 12
        totals.failed = 1
        totals.skipped = 3
        totals.bytesSaved = 40 << 30
        totals.averageRatio = 0.48
        totals.encodeSeconds = 7200
        let running = DaemonSnapshot.RunningJob(
            id: Self.jobID, sourcePath: Self.runningPath, stage: "encoding", progress: 42.5, fps: 33.3, eta: 125,
            cpus: "0-1", cpuCount: 2, rssBytes: 512 << 20, framesEncoded: 4250, framesTotal: 10000,
            encodedBytes: 90 << 20, startedAt: Date().addingTimeInterval(-60))
        var snapshot = DaemonSnapshot(
            running: [running], queued: 2,
            queue: [DaemonSnapshot.QueuedFile(path: "/media/movies/Sintel.mkv", bytes: 8 << 30, expectedSavingBytes: 4 << 30),
                    DaemonSnapshot.QueuedFile(path: "/media/movies/Tears of Steel.mkv", bytes: 6 << 30, expectedSavingBytes: 3 << 30)],
            recent: [DaemonSnapshot.FinishedJob(id: "job-1", sourcePath: Self.failedPath, status: "failed",
                                                reason: "the source does not decode", originalBytes: 3 << 30, newBytes: nil,
                                                finishedAt: Date().addingTimeInterval(-300))],
            totals: totals, paused: paused, framesEncodedTotal: 123_456, bytesEncodedTotal: 9 << 30)
        if hot {
            snapshot.temperatures = [TemperatureReading(sensor: "k10temp", label: "Tctl", celsius: 91.25)]
            snapshot.admissionPause = AdmissionPause(reason: "thermal", message: "CPU at 91.3°C (k10temp Tctl), above "
                + "thermal_limit_c 85: no new job starts until below 80°C")
            snapshot.warnings = ["CPUs 0-1 use the powersave governor (driver acpi-cpufreq): encoding runs 10-20% slower"]
        }
        return snapshot
    }

    func perform(_ request: ControlRequest) -> ControlResponse {
        state.withLock { $0.requests.append(request) }
        switch request.command {
        case .status: return ControlResponse(ok: true, snapshot: snapshot())
        case .pause, .resume:
            state.withLock { $0.paused = request.command == .pause }
            return ControlResponse(ok: true, message: request.command == .pause ? "paused" : "resumed")
        case .cancel:
            guard request.job == Self.jobID else { return .failure("no running job \(request.job ?? "")") }
            return ControlResponse(ok: true, message: "cancelling \(Self.jobID)")
        case .retry:
            guard request.path == Self.failedPath else { return .failure("\(request.path ?? "") is not failed or skipped") }
            return ControlResponse(ok: true, message: "will retry")
        case .rescan:
            return ControlResponse(ok: true, message: "rescanning")
        }
    }
}

/// A fresh folder that any user may enter (the `nobody` client needs to reach the socket in it),
/// removed at the end.
final class TemporaryFolder {
    let path: String

    init() throws {
        // Short: a Unix socket path must fit in 108 bytes.
        path = "/tmp/av1d-control-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A control server on a fake daemon, stopped at the end.
final class ServedDaemon {
    let folder: TemporaryFolder
    let daemon: FakeDaemon
    let server: ControlServer
    let log = LogLines()
    var socketPath: String { server.path }

    init(daemon: FakeDaemon = FakeDaemon()) throws {
        self.daemon = daemon
        folder = try TemporaryFolder()
        server = ControlServer(path: folder.path + "/av1d.sock", control: daemon, log: DaemonLog(sink: log.append))
        try server.start()
    }

    deinit {
        server.stop()
    }
}

/// Log lines a test collects.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    @Sendable func append(_ line: String) { lines.withLock { $0.append(line) } }
}


/// Runs a program to its end; its standard output and error together. posix_spawn, not
/// Process: Process learns of the end from a socket the child inherits, so a program that leaves
/// a daemon behind (tmux) would never be seen to end. The child starts with no signal blocked
/// (test threads block most), or a tmux server could not even be stopped.
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("av1d-run-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    var ignoredHere = sigset_t()
    sigemptyset(&ignoredHere)
    sigaddset(&ignoredHere, SIGPIPE)
    posix_spawnattr_setsigdefault(&attributes, &ignoredHere)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    // WIFEXITED/WEXITSTATUS are macros: the exit code, or 128 + the signal, as a shell says.
    let exitCode = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + status & 0x7F
    return (exitCode, try String(contentsOfFile: outputPath, encoding: .utf8))
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: TimeInterval = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}
