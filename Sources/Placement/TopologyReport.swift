import Foundation
import LinuxSupport

/// What `av1d topology` shows: the CPUs av1d may use, how they are grouped, and the CPU sets
/// that 1, 2, ... concurrent jobs would get.
public struct TopologyReport: Sendable {
    public let topology: Topology
    /// `plans[k]` holds the CPU sets of k + 1 concurrent jobs.
    public let plans: [[CPUSet]]
    /// `threads[k][j]`: SVT-AV1's thread budget for job j of `plans[k]` (its set's size, or its
    /// share of a CPU quota).
    public let threads: [[Int]]
    /// Temperatures, governors and warnings; nil leaves them out.
    public let health: MachineHealth?

    public init(topology: Topology, upToJobs maxJobs: Int, health: MachineHealth? = nil) {
        self.topology = topology
        self.health = health
        let planner = PlacementPlanner(topology: topology)
        plans = (0..<max(0, maxJobs)).map { planner.plan(jobs: $0 + 1) }
        threads = plans.map { $0.map(planner.threads(for:)) }
    }

    /// One plan per L3 domain, and at least two, show both whole-domain and split placements.
    public static func defaultMaxJobs(for topology: Topology) -> Int {
        max(2, topology.domains.count)
    }

    /// The report as JSON, keys in a fixed order; `plans` and `plan_threads` are keyed by job count
    /// in numeric order. `l3_domains` lists the domains placement uses, which are NUMA nodes (or all
    /// usable CPUs) on machines that report no L3 cache.
    public func json() throws -> String {
        var object = OrderedJSON()
        object.add("usable_cpus", topology.usable)
        object.add("l3_domains", topology.domains.map(\.cpus))
        object.add("numa_nodes", topology.numaNodes.map(\.cpus))
        object.add("smt_groups", topology.smtGroups)
        object.add("cpu_budget", topology.cpuBudget)
        object.add("cgroup_limits", topology.limits)
        object.add("plans", Self.byJobCount(plans))
        object.add("plan_threads", Self.byJobCount(threads))
        if let health {
            object.add("temperatures", health.temperatures)
            object.add("governors", health.governors.mapValues(\.description))
            object.add("warnings", health.warnings)
            object.add("notes", health.notes)
        }
        return try object.text()
    }

    /// `values[0]` under "1", `values[1]` under "2", ...
    private static func byJobCount(_ values: [some Encodable]) -> OrderedJSON {
        var object = OrderedJSON()
        for (index, value) in values.enumerated() { object.add(String(index + 1), value) }
        return object
    }

    public var text: String {
        var lines = ["Usable CPUs: \(topology.usable) (\(topology.usable.count) CPUs, \(topology.smtGroups.count) cores)"]
        lines += topology.limits.map { "Limited by \($0)" }
        if let budget = topology.cpuBudget {
            lines.append("Thread budget: \(budget) threads in all, shared out by CPU set size (the quota limits time, not CPUs)")
        }
        lines.append(topology.domainSource == .l3Cache
            ? "L3 domains (\(topology.domains.count)):"
            : "Domains (\(topology.domains.count), from \(topology.domainSource.rawValue): no L3 cache information):")
        let width = topology.domains.map(\.cpus.description.count).max() ?? 0
        for domain in topology.domains {
            let cpus = domain.cpus.description.padding(toLength: width, withPad: " ", startingAt: 0)
            let node = domain.numaNode.map { "NUMA node \($0)" } ?? "no NUMA node"
            let package = domain.package.map { "package \($0)" } ?? "package unknown"
            lines.append("  \(cpus)  \(domain.cpus.count) CPUs, \(node), \(package)")
        }
        lines.append("NUMA nodes:")
        lines += topology.numaNodes.map { "  node \($0.id): \($0.cpus)" }
        lines.append("SMT groups: " + topology.smtGroups.map(\.description).joined(separator: "  "))
        lines.append("Plans:")
        for (index, sets) in plans.enumerated() {
            let jobs = index + 1
            let shortfall = sets.count < jobs ? " (only \(sets.count) fit)" : ""
            let described = zip(sets, threads[index]).map { cpus, threads in
                topology.cpuBudget == nil ? cpus.description : "\(cpus) (\(threads) thread\(threads == 1 ? "" : "s"))"
            }
            lines.append("  \(jobs) job\(jobs == 1 ? "" : "s"): " + described.joined(separator: " | ") + shortfall)
        }
        if let health { lines += Self.lines(health) }
        return lines.joined(separator: "\n")
    }

    private static func lines(_ health: MachineHealth) -> [String] {
        let temperatures = health.temperatures.map(\.description).joined(separator: ", ")
        let governors = health.governors.sorted { $0.value.cpus.first ?? 0 < $1.value.cpus.first ?? 0 }
            .map { "\($0.key) on \($0.value)" }.joined(separator: ", ")
        return ["Temperatures: " + (temperatures.isEmpty ? "no CPU sensor (k10temp, coretemp)" : temperatures),
                "Governors: " + (governors.isEmpty ? "no cpufreq" : governors)]
            + health.warnings.map { "warning: \($0)" } + health.notes.map { "note: \($0)" }
    }
}
