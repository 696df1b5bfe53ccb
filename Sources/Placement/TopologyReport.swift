import Foundation
import LinuxSupport

/// What `av1d topology` shows: the CPUs av1d may use, how they are grouped, and the CPU sets
/// that 1, 2, ... concurrent jobs would get.
public struct TopologyReport: Sendable {
    public let topology: Topology
    /// `plans[k]` holds the CPU sets of k + 1 concurrent jobs.
    public let plans: [[CPUSet]]

    public init(topology: Topology, upToJobs maxJobs: Int) {
        self.topology = topology
        let planner = PlacementPlanner(topology: topology)
        plans = (0..<max(0, maxJobs)).map { planner.plan(jobs: $0 + 1) }
    }

    /// One plan per L3 domain, and at least two, show both whole-domain and split placements.
    public static func defaultMaxJobs(for topology: Topology) -> Int {
        max(2, topology.domains.count)
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public var text: String {
        var lines = ["Usable CPUs: \(topology.usable) (\(topology.usable.count) CPUs, \(topology.smtGroups.count) cores)"]
        if let budget = topology.cpuBudget {
            lines.append("CPU budget: \(budget) CPUs (cgroup cpu.max)")
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
            lines.append("  \(jobs) job\(jobs == 1 ? "" : "s"): "
                + sets.map(\.description).joined(separator: " | ") + shortfall)
        }
        return lines.joined(separator: "\n")
    }
}

extension TopologyReport: Encodable {
    private enum CodingKeys: String, CodingKey {
        case usableCPUs = "usable_cpus"
        case l3Domains = "l3_domains"
        case numaNodes = "numa_nodes"
        case smtGroups = "smt_groups"
        case plans
    }

    /// `l3_domains` lists the domains placement uses, which are NUMA nodes (or all usable CPUs)
    /// on machines that report no L3 cache.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(topology.usable, forKey: .usableCPUs)
        try container.encode(topology.domains.map(\.cpus), forKey: .l3Domains)
        try container.encode(topology.numaNodes.map(\.cpus), forKey: .numaNodes)
        try container.encode(topology.smtGroups, forKey: .smtGroups)
        let byJobCount = Dictionary(uniqueKeysWithValues: plans.enumerated().map { (String($0.offset + 1), $0.element) })
        try container.encode(byJobCount, forKey: .plans)
    }
}
