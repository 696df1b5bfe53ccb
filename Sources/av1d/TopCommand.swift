import ArgumentParser
import AV1Daemon
import Foundation
import WorkerProtocol

struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "A live full-screen view of the daemon: CPUs by L3 domain, memory, jobs, queue, totals.",
        discussion: "Keys: up/down or j/k select a job, enter shows its details, c cancels it, r retries a failed or "
            + "skipped file, p pauses or resumes taking new jobs, q quits. Also installed as av1top.")

    @OptionGroup var configOption: ConfigOption

    @Option(help: "The daemon's control socket (default: control_socket, or av1d.sock beside job_state_dir).")
    var socket: String?

    func run() throws {
        let path: String
        if let socket {
            path = socket
        } else {
            path = try configOption.load().controlSocketPath
        }
        do {
            // A short timeout: the screen must not freeze long on a daemon that hangs.
            try TopApp(client: ControlClient(path: path, timeout: 2)).run()
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
    }
}
