import ArgumentParser
import AV1Daemon
import Foundation
import Placement

struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Show the CPUs av1d may use and the CPUs concurrent jobs would get.",
        discussion: """
            Usable CPUs are the online ones within this process's affinity and cgroup cpuset. \
            Jobs stay inside one L3 cache domain when they fit, and SMT siblings never split.
            """)

    @Option(name: .customLong("sysfs-root"),
            help: ArgumentHelp("Read DIR as /sys (a copy of it, or a folder holding sys/ and proc/) instead of "
                + "this machine; this process's own affinity is then ignored.", valueName: "DIR"))
    var sysfsRoot: String?

    @Option(help: ArgumentHelp("Show plans for 1 to N concurrent jobs (default: the number of L3 domains, at least 2).",
                               valueName: "N"))
    var jobs: Int?

    @Option(help: ArgumentHelp("Also check the daemon configuration's temp_output_dir and job_state_dir for "
        + "network file systems.", valueName: "FILE"))
    var config: String?

    @Flag(help: ArgumentHelp("Print JSON: usable_cpus, l3_domains, numa_nodes, smt_groups, cpu_budget, cgroup_limits, "
        + "plans, plan_threads, temperatures, governors, warnings, notes."))
    var json = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        var isFolder: ObjCBool = false
        if let sysfsRoot, !FileManager.default.fileExists(atPath: sysfsRoot, isDirectory: &isFolder) || !isFolder.boolValue {
            throw ValidationError("--sysfs-root \(sysfsRoot) is not a folder")
        }
    }

    func run() throws {
        let topology: Topology
        do {
            topology = try sysfsRoot.map { try Topology.read(sysfsRoot: $0, affinity: .allOnline) } ?? Topology.read()
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(1)
        }
        var folders: [(key: String, path: String)] = []
        if let config {
            let loaded: DaemonConfig
            do { loaded = try DaemonConfig.load(path: config).config } catch {
                Terminal.error("\(error)")
                throw ExitCode(1)
            }
            folders = [("temp_output_dir", loaded.tempOutputDir), ("job_state_dir", loaded.jobStateDir)]
        }
        let health = MachineHealth.read(sysfsRoot: sysfsRoot ?? "/", cpus: topology.usable, folders: folders)
        let report = TopologyReport(topology: topology, upToJobs: jobs ?? TopologyReport.defaultMaxJobs(for: topology),
                                    health: health)
        print(json ? try report.json() : report.text)
    }
}
