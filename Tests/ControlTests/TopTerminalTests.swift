import AV1Daemon
import Foundation
import Testing
import WorkerProtocol

/// `av1d top` in a real terminal: a detached tmux session of 80x24 running a shell, with keys
/// sent and the screen captured as a user over SSH would see it.
@Suite("av1d top in a terminal", .serialized)
struct TopTerminalTests {
    enum Exit: String, CaseIterable {
        case quitKey, terminateSignal
    }

    @Test("shows the running job with a progress bar, acts on keys, and restores the terminal", arguments: Exit.allCases)
    func topSession(exit: Exit) throws {
        let served = try ServedDaemon()
        let tmux = try Tmux()
        try tmux.type("stty -g > \(served.folder.path)/before; \(Binaries.av1d) top --socket \(served.socketPath)")
        #expect(tmux.waitForScreen { $0.contains("Big Buck Bunny.mkv") }, "\(tmux.screen())")
        let screen = tmux.screen()
        #expect(screen.contains("[####"), "a progress bar")
        #expect(screen.contains("42.5%"))
        #expect(screen.contains("broken episode.mkv"), "recent jobs")
        let lines = screen.split(separator: "\n")
        #expect(lines.contains { $0.contains("Sintel.mkv") && $0.contains("8.0 GiB  saves ~4.0 GiB (guess)") },
                "a queued file's saving is labelled a guess: \(screen)")
        #expect(lines.contains { $0.contains("Tears of Steel.mkv") && $0.contains("saves ~3.0 GiB (guess)") })
        #expect(try tmux.format("#{alternate_on}") == "1")

        // The running job is selected first: enter shows its details, c and y cancel it.
        try tmux.keys("Enter")
        #expect(tmux.waitForScreen { $0.contains(FakeDaemon.runningPath) && $0.contains(FakeDaemon.jobID) })
        try tmux.keys("Escape", "c")
        #expect(tmux.waitForScreen { $0.contains("Cancel Big Buck Bunny.mkv? y/n") })
        try tmux.keys("y")
        #expect(eventually { served.daemon.requests.contains(ControlRequest(command: .cancel, job: FakeDaemon.jobID)) })
        try tmux.keys("p")
        #expect(eventually { served.daemon.paused })

        switch exit {
        case .quitKey: try tmux.keys("q")
        case .terminateSignal: try tmux.signalForeground(SIGTERM)
        }
        #expect(tmux.waitForScreen { _ in (try? tmux.format("#{alternate_on}")) == "0" }, "the alternate screen is left")
        #expect(try tmux.format("#{cursor_flag}") == "1", "the cursor is shown")
        try tmux.type("stty -g > \(served.folder.path)/after; echo done-$((1+1))")
        #expect(tmux.waitForScreen { $0.contains("done-2") }, "the shell reads lines again")
        let before = try String(contentsOfFile: served.folder.path + "/before", encoding: .utf8)
        #expect(try String(contentsOfFile: served.folder.path + "/after", encoding: .utf8) == before, "termios as it was")
    }

    @Test("the header shows the CPU temperature, a thermal pause and the machine's warnings")
    func thermalHeader() throws {
        let served = try ServedDaemon(daemon: FakeDaemon(hot: true))
        let tmux = try Tmux()
        try tmux.type("\(Binaries.av1d) top --socket \(served.socketPath)")
        #expect(tmux.waitForScreen { $0.contains("Big Buck Bunny") }, "\(tmux.screen())")
        let lines = tmux.screen().split(separator: "\n")
        #expect(lines.first?.contains("1 running, 2 queued, CPU 91.3°C") == true, "\(tmux.screen())")
        #expect(lines.contains { $0.hasPrefix("no new jobs: CPU at 91.3°C (k10temp Tctl), above thermal_limit_c 85") })
        #expect(lines.contains { $0.hasPrefix("warning: CPUs 0-1 use the powersave governor") })
        #expect(lines.allSatisfy { $0.count <= 80 })
        try tmux.keys("q")
        #expect(tmux.waitForScreen { _ in (try? tmux.format("#{alternate_on}")) == "0" })
    }

    @Test("a small terminal keeps the running job and the keys, and drops the rest")
    func smallTerminal() throws {
        let served = try ServedDaemon()
        let tmux = try Tmux(columns: 40, rows: 8)
        try tmux.type("\(Binaries.av1d) top --socket \(served.socketPath)")
        #expect(tmux.waitForScreen { $0.contains("Big Buck Bunny") })
        let lines = tmux.screen().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.contains { $0.contains("[###-") }, "a shorter progress bar")
        #expect(lines.contains { $0.hasPrefix("Done 12") })
        #expect(lines.contains { $0.contains("q") && $0.contains("keys") })
        #expect(!lines.contains { $0.contains("Sintel") }, "the queue gave way")
        #expect(lines.allSatisfy { $0.count <= 40 })
        try tmux.keys("q")
        #expect(tmux.waitForScreen { _ in (try? tmux.format("#{alternate_on}")) == "0" })
    }

    @Test("av1top starts the same view and says when the daemon is not reachable")
    func av1top() throws {
        let tmux = try Tmux()
        try tmux.type("\(Binaries.av1top) --socket /tmp/av1d-absent-\(UUID().uuidString.prefix(8)).sock")
        #expect(tmux.waitForScreen { $0.contains("daemon not reachable") && $0.contains("av1d top") }, "\(tmux.screen())")
        try tmux.keys("q")
        #expect(tmux.waitForScreen { _ in (try? tmux.format("#{alternate_on}")) == "0" })
    }
}

/// A private tmux server (its own socket) with one session running /bin/sh, 80x24 unless told.
/// The server is killed when this goes, before the folder that holds its socket.
final class Tmux {
    private let folder: TemporaryFolder
    private var socket: String { folder.path + "/tmux.sock" }

    init(columns: Int = 80, rows: Int = 24) throws {
        folder = try TemporaryFolder()
        try tmux(["new-session", "-d", "-s", "top", "-x", "\(columns)", "-y", "\(rows)", "/bin/sh"])
        // A plain prompt, so screens are predictable.
        try type("PS1='$ '")
    }

    deinit {
        _ = try? tmux(["kill-server"])
    }

    /// Types a command line and Enter.
    func type(_ line: String) throws {
        try tmux(["send-keys", "-t", "top", "-l", line])
        try keys("Enter")
    }

    /// Sends keys by tmux name (`Enter`, `Escape`, `q`).
    func keys(_ names: String...) throws {
        for name in names { try tmux(["send-keys", "-t", "top", name]) }
    }

    func screen() -> String {
        (try? tmux(["capture-pane", "-p", "-t", "top"])) ?? ""
    }

    func format(_ format: String) throws -> String {
        try tmux(["display-message", "-p", "-t", "top", format]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func waitForScreen(_ condition: (String) -> Bool) -> Bool {
        eventually(timeout: 10) { condition(screen()) }
    }

    /// Sends `signal` to the program the shell runs in the foreground.
    func signalForeground(_ signal: Int32) throws {
        let shell = try format("#{pane_pid}")
        let child = try #require(Int32(try run("/usr/bin/pgrep", ["-P", shell]).output.trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(child, signal)
    }

    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        let result = try run("/usr/bin/tmux", ["-u", "-S", socket] + arguments, environment: ["LANG": "C.UTF-8", "TERM": "xterm-256color"])
        guard result.status == 0 else { throw TmuxError(description: "tmux \(arguments.joined(separator: " ")): \(result.output)") }
        return result.output
    }
}

struct TmuxError: Error, CustomStringConvertible {
    let description: String
}
