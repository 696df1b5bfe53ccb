import ArgumentParser
import AV1Daemon
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the library daemon (the default when no subcommand is given).",
        discussion: "SIGTERM stops it cleanly (jobs are re-queued at the next start); SIGHUP reloads the config.")

    @OptionGroup var configOption: ConfigOption

    func run() throws {
        let log = DaemonLog()
        let config: DaemonConfig
        do {
            let (loaded, missing) = try DaemonConfig.load(path: configOption.config)
            if missing { log(.warning, "no config at \(configOption.config); using the defaults") }
            for key in loaded.unknownKeys { log(.warning, "config key \(key) is not known to this av1d; ignored") }
            config = loaded
        } catch {
            log(.error, "\(error)")
            throw ExitCode(1)
        }
        let supervisor: Supervisor
        do {
            supervisor = try Supervisor(configPath: configOption.config, config: config, log: log, executable: SelfExecutable.path)
        } catch {
            log(.error, "cannot start: \(error)")
            throw ExitCode(1)
        }
        let status = supervisor.run()
        if status != 0 { throw ExitCode(status) }
    }
}
