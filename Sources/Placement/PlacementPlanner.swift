import LinuxSupport

/// Decides which CPUs each job runs on. Jobs stay inside one L3 domain when they fit in one,
/// take whole domains (preferably on one NUMA node) when they need more, and never split SMT
/// siblings. Pure: the same topology and requests always give the same answer.
public struct PlacementPlanner: Sendable {
    /// The domains jobs may use, in locality order.
    private let domains: [CPUDomain]
    /// Every CPU the planner may hand out: the usable CPUs.
    public let allowed: CPUSet
    /// Whole CPUs of run time the cgroup quota allows all jobs together; nil without a quota.
    private let cpuBudget: Int?

    /// A CPU quota limits run time, not which CPUs run: jobs still get every usable CPU (whole
    /// L3 domains as on any machine) and `threads(for:)` shares the quota out. Threads spread over
    /// more physical cores beat the same number stacked on SMT siblings of fewer cores.
    public init(topology: Topology) {
        domains = orderedByLocality(topology.domains)
        allowed = CPUSet(unionOf: domains.map(\.cpus))
        cpuBudget = topology.cpuBudget
    }

    /// Disjoint CPU sets for `jobs` concurrent jobs that share out the allowed CPUs as evenly as
    /// locality allows. Fewer sets than jobs come back when there are fewer cores than jobs.
    public func plan(jobs: Int) -> [CPUSet] {
        plan(jobs: jobs, within: allowed)
    }

    /// The same rules applied to the cores wholly inside `free` only: how the CPUs that no running
    /// job holds are shared among `jobs` jobs about to start.
    public func plan(jobs: Int, within free: CPUSet) -> [CPUSet] {
        let open = domains.compactMap { domain -> CPUDomain? in
            let cores = domain.smtGroups.filter { $0.isSubset(of: free) }
            return cores.isEmpty ? nil : CPUDomain(smtGroups: cores, numaNode: domain.numaNode, package: domain.package)
        }
        let machine = Locality(machineOf: open)
        let jobs = min(jobs, machine.cores)
        return jobs > 0 ? machine.split(into: jobs) : []
    }

    /// SVT-AV1's thread budget (`logical_processors`) for a job on `cpus`: one thread per CPU, or
    /// under a CPU quota the job's share of it by the size of its set (a 16-CPU CCD out of 32
    /// usable CPUs under a 16-CPU quota gets 8), never less than 1.
    public func threads(for cpus: CPUSet) -> Int {
        guard let cpuBudget, !allowed.isEmpty else { return max(1, cpus.count) }
        return max(1, min(cpus.count, cpuBudget * cpus.count / allowed.count))
    }

    /// CPUs for one more job from `free`, or nil when nothing reasonable is free: the job would get
    /// fewer than `demand.minimumCPUs` (or, on a machine smaller than that, fewer than all of them).
    public func place(demand: JobDemand, free: CPUSet) -> CPUSet? {
        let capacity = allowed.count
        let wanted = min(demand.wantedCPUs, capacity)
        let least = min(demand.minimumCPUs, capacity)
        guard least > 0 else { return nil }
        let openings = domains.map { Opening(domain: $0, free: free) }
        let largestDomain = domains.map(\.cpus.count).max() ?? 0
        let candidates = least <= largestDomain
            ? inOneDomain(wanted: wanted, openings: openings)
            : inWholeDomains(wanted: wanted, least: least, openings: openings)
        return candidates
            .filter { $0.cpus.count >= least }
            .min { $0.isBetter(than: $1, wanted: wanted) }?
            .cpus
    }

    /// A job that fits in one domain takes whole cores from a single domain.
    private func inOneDomain(wanted: Int, openings: [Opening]) -> [Candidate] {
        openings.map { opening in
            Candidate(room: opening.freeCPUs,
                      cpus: firstReaching(wanted, in: opening.freeCores),
                      nodeRoom: nodeRoom(of: opening, in: openings))
        }
    }

    /// A job too big for any domain takes wholly free domains: from one NUMA node if one can hold
    /// it, else from the nodes with the most room first.
    private func inWholeDomains(wanted: Int, least: Int, openings: [Opening]) -> [Candidate] {
        let whole = openings.filter(\.isWhollyFree)
        let perNode = grouped(whole, by: \.domain.numaNode).map { node in
            Candidate(room: node.map(\.freeCPUs).reduce(0, +),
                      cpus: firstReaching(wanted, in: node.map(\.domain.cpus)),
                      nodeRoom: nodeRoom(of: node[0], in: openings))
        }
        if perNode.contains(where: { $0.cpus.count >= least }) { return perNode }
        let roomiestNodesFirst = whole.enumerated().sorted { a, b in
            let (roomA, roomB) = (nodeRoom(of: a.element, in: openings), nodeRoom(of: b.element, in: openings))
            return roomA != roomB ? roomA > roomB : a.offset < b.offset
        }.map(\.element)
        let acrossNodes = firstReaching(wanted, in: roomiestNodesFirst.map(\.domain.cpus))
        return [Candidate(room: acrossNodes.count, cpus: acrossNodes, nodeRoom: 0)]
    }

    /// Free CPUs on the opening's NUMA node: the tie-break that spreads jobs over nodes.
    private func nodeRoom(of opening: Opening, in openings: [Opening]) -> Int {
        openings.filter { $0.domain.numaNode == opening.domain.numaNode }.map(\.freeCPUs).reduce(0, +)
    }

    /// The first of `sets`, in order, until together they hold `wanted` CPUs (or all of them).
    private func firstReaching(_ wanted: Int, in sets: [CPUSet]) -> CPUSet {
        var taken: [CPUSet] = []
        var count = 0
        for set in sets where count < wanted {
            taken.append(set)
            count += set.count
        }
        return CPUSet(unionOf: taken)
    }

}

/// A domain's cores that are wholly free. A core with a busy sibling belongs to that sibling's job.
private struct Opening {
    let domain: CPUDomain
    let freeCores: [CPUSet]

    init(domain: CPUDomain, free: CPUSet) {
        self.domain = domain
        freeCores = domain.smtGroups.filter { $0.isSubset(of: free) }
    }

    var freeCPUs: Int { freeCores.map(\.count).reduce(0, +) }
    var isWhollyFree: Bool { freeCores.count == domain.smtGroups.count }
}

/// One way to place a job: `cpus` taken from a space of `room` free CPUs.
private struct Candidate {
    let room: Int
    let cpus: CPUSet
    /// Free CPUs on the candidate's NUMA node.
    let nodeRoom: Int

    /// A space that holds the whole demand beats one that falls short. Among those that hold it the
    /// tightest wins, so large free spaces stay for large jobs; among those short of it, the largest.
    /// Then the emptier NUMA node wins, to spread memory traffic; then the earlier candidate.
    func isBetter(than other: Candidate, wanted: Int) -> Bool {
        let (fits, otherFits) = (room >= wanted, other.room >= wanted)
        if fits != otherFits { return fits }
        if room != other.room { return fits ? room < other.room : room > other.room }
        return nodeRoom > other.nodeRoom
    }
}
