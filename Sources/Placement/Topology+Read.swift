import LinuxSupport

extension Topology {
    /// Reads the machine under `sysfsRoot`: a folder laid out like `/sys`, or one holding `sys/`
    /// and `proc/` ("/" for this machine). A missing or malformed file makes it fall back (cpuN
    /// folders when the online list is unreadable; NUMA nodes, then all usable CPUs, as domains when
    /// L3 information is missing); only a tree with no usable CPU at all is an error.
    public static func read(sysfsRoot: String = "/", affinity: AffinityMask = .automatic) throws(NoUsableCPUs) -> Topology {
        let tree = SysfsTree(root: sysfsRoot)
        let cgroup = ControlGroup(tree: tree)
        let online = tree.cpuList("\(cpuFolder)/online")
            ?? CPUSet(tree.numberedEntries(in: cpuFolder, prefix: "cpu"))
        var usable = online
        if let mask = affinity.cpus(onLiveMachine: tree.isLiveMachine) { usable = usable.intersection(mask) }
        let cpusets = cgroup.cpusets
        for cpuset in cpusets { usable = usable.intersection(cpuset.value) }
        guard !usable.isEmpty else { throw NoUsableCPUs(root: sysfsRoot) }

        let reader = CPUReader(tree: tree, usable: usable)
        let nodes = reader.numaNodes()
        let groups = reader.smtGroups()
        let (clusters, source) = domainClusters(of: groups, reader: reader, nodes: nodes)
        let domains = clusters.map { cores in
            let first = cores[0].cpus[0]
            return CPUDomain(smtGroups: cores,
                             numaNode: nodes.first { $0.cpus.contains(first) }?.id,
                             package: reader.package(of: first))
        }
        let quota = cgroup.cpuQuota
        let limits = cpusets.map { "cpuset \($0.value) (\($0.source))" }
            + [quota.map { "CPU quota \($0.value) CPUs (\($0.source))" }].compactMap { $0 }
        return Topology(usable: usable, domains: domains, domainSource: source, numaNodes: nodes,
                        cpuBudget: quota?.value, limits: limits)
    }

    static let cpuFolder = "sys/devices/system/cpu"

    /// Domains from the L3 cache when its lists account for every core; else NUMA nodes; else one domain.
    private static func domainClusters(of groups: [CPUSet], reader: CPUReader,
                                       nodes: [NUMANode]) -> ([[CPUSet]], DomainSource) {
        if let byCache = cluster(groups, claim: reader.l3Domain(of:)) {
            return (byCache, .l3Cache)
        }
        if !nodes.isEmpty,
           let byNode = cluster(groups, claim: { group in nodes.first { $0.cpus.contains(group.cpus[0]) }?.cpus }) {
            return (byNode, .numaNodes)
        }
        return (groups.isEmpty ? [] : [groups], .usableCPUs)
    }

    /// Gathers SMT groups into domains: a group joins the first domain whose claimed CPUs hold its
    /// first CPU, or founds a new domain claiming `claim(group)`. First claim wins, so overlapping
    /// or inconsistent lists still give disjoint domains. Nil when a founding group has no claim.
    private static func cluster(_ groups: [CPUSet], claim: (CPUSet) -> CPUSet?) -> [[CPUSet]]? {
        var clusters: [(claimed: CPUSet, groups: [CPUSet])] = []
        for group in groups {
            if let index = clusters.firstIndex(where: { $0.claimed.contains(group.cpus[0]) }) {
                clusters[index].groups.append(group)
            } else {
                guard let claimed = claim(group) else { return nil }
                clusters.append((claimed, [group]))
            }
        }
        return clusters.map(\.groups)
    }
}

/// Per-CPU sysfs files, read for usable CPUs only: offline CPUs have no topology or cache folders.
private struct CPUReader {
    let tree: SysfsTree
    let usable: CPUSet

    /// Usable CPUs partitioned into SMT sibling groups, in order of their first CPU. A sibling list
    /// that does not name its own CPU is nonsense, and that CPU stands alone.
    func smtGroups() -> [CPUSet] {
        var grouped = Set<Int>()
        var groups: [CPUSet] = []
        for cpu in usable.cpus where !grouped.contains(cpu) {
            let folder = "\(Topology.cpuFolder)/cpu\(cpu)/topology"
            let listed = tree.cpuList("\(folder)/thread_siblings_list") ?? tree.cpuList("\(folder)/core_cpus_list")
            let siblings = listed.flatMap { $0.contains(cpu) ? $0 : nil } ?? CPUSet([cpu])
            let group = CPUSet(siblings.intersection(usable).cpus.filter { !grouped.contains($0) })
            grouped.formUnion(group.cpus)
            groups.append(group)
        }
        return groups
    }

    /// Nodes holding usable CPUs; memory-only nodes have an empty list and are skipped.
    func numaNodes() -> [NUMANode] {
        let folder = "sys/devices/system/node"
        return tree.numberedEntries(in: folder, prefix: "node").compactMap { id in
            guard let cpus = tree.cpuList("\(folder)/node\(id)/cpulist")?.intersection(usable),
                  !cpus.isEmpty else { return nil }
            return NUMANode(id: id, cpus: cpus)
        }
    }

    /// The L3 shared list of the group's first CPU that reports one.
    func l3Domain(of group: CPUSet) -> CPUSet? {
        group.cpus.lazy.compactMap(sharedL3(of:)).first
    }

    /// Index 3 is L3 by convention only (some CPUs number their caches differently), so each
    /// `indexK/level` is checked, and the convention used only where no level is given.
    private func sharedL3(of cpu: Int) -> CPUSet? {
        let folder = "\(Topology.cpuFolder)/cpu\(cpu)/cache"
        for index in tree.numberedEntries(in: folder, prefix: "index") {
            let level = tree.integer("\(folder)/index\(index)/level") ?? (index == 3 ? 3 : nil)
            guard level == 3, let shared = tree.cpuList("\(folder)/index\(index)/shared_cpu_list"),
                  shared.contains(cpu) else { continue }
            return shared
        }
        return nil
    }

    func package(of cpu: Int) -> Int? {
        tree.integer("\(Topology.cpuFolder)/cpu\(cpu)/topology/physical_package_id")
    }
}

extension AffinityMask {
    /// The CPUs this mask allows, or nil for no limit.
    func cpus(onLiveMachine: Bool) -> CPUSet? {
        switch self {
        case .automatic:
            guard onLiveMachine else { return nil }
            // An unreadable mask comes back empty: limiting nothing beats limiting everything.
            let own = CPUAffinity.current()
            return own.isEmpty ? nil : own
        case .allOnline:
            return nil
        case .only(let cpus):
            return cpus
        }
    }
}
