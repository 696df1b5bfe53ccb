import ArgumentParser
import AV1Daemon
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the library daemon (the default when no subcommand is given).",
        discussion: "SIGTERM stops it cleanly (jobs are re-queued at the next start); SIGHUP reloads the config.")

    @OptionGroup var configOption: ConfigOption

    @Option(name: .customLong("sysfs-root"),
            help: ArgumentHelp("For tests: read the machine from a copied /sys (or a folder holding sys/ and proc/).",
                               valueName: "DIR"))
    var sysfsRoot = "/"

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
            supervisor = try Supervisor(configPath: configOption.config, config: config, log: log, executable: SelfExecutable.path,
                                        sysfsRoot: sysfsRoot)
        } catch {
            log(.error, "cannot start: \(error)")
            throw ExitCode(1)
        }
        // Exit from inside: queued work of the supervisor may still run on other threads, so it
        // must stay alive until the process ends (start-up recovery handles whatever was left).
        withExtendedLifetime(supervisor) {
            let status = supervisor.run()
            Foundation.exit(status)
        }
    }
}
