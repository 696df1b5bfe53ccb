import LinuxSupport

/// The CPUs av1d may use and how they are grouped, as placement sees them. Every set here holds
/// usable CPUs only: offline CPUs, and CPUs outside the affinity mask or cgroup cpuset, never appear.
public struct Topology: Sendable, Equatable {
    /// Online CPUs, within this process's affinity mask and cgroup cpuset.
    public let usable: CPUSet
    /// Groups of CPUs that share a last-level cache, in order of their first CPU. Disjoint; each
    /// holds whole SMT groups.
    public let domains: [CPUDomain]
    /// Where `domains` came from: the L3 cache, or a fallback when the machine does not say.
    public let domainSource: DomainSource
    /// NUMA nodes that hold usable CPUs; empty when the machine reports none.
    public let numaNodes: [NUMANode]
    /// Whole CPUs of run time that the cgroup CPU quota (`cpu.max`, v1 `cpu.cfs_quota_us`) allows in
    /// total; nil when there is no quota. It limits time, not which CPUs: jobs still spread over
    /// every usable CPU, and their thread budgets share this out.
    public let cpuBudget: Int?
    /// The cgroup limits that shaped `usable` and `cpuBudget`, for people: "CPU quota 16 CPUs (cgroup v2 cpu.max)".
    public let limits: [String]

    /// SMT sibling groups (physical cores), in order of their first CPU.
    public var smtGroups: [CPUSet] { domains.flatMap(\.smtGroups) }
}

/// CPUs that share a last-level cache (one CCD or CCX on AMD). A job kept inside one domain keeps
/// its working set in one L3.
public struct CPUDomain: Sendable, Equatable {
    /// The domain's physical cores, each the CPUs of one SMT sibling group, ascending.
    public let smtGroups: [CPUSet]
    /// The NUMA node of the domain's first CPU; nil when the machine reports no nodes.
    public let numaNode: Int?
    /// The package (socket) of the domain's first CPU; nil when unknown.
    public let package: Int?

    public var cpus: CPUSet { CPUSet(unionOf: smtGroups) }
}

public struct NUMANode: Sendable, Equatable {
    public let id: Int
    /// The node's usable CPUs.
    public let cpus: CPUSet
}

/// What a topology's domains are made of.
public enum DomainSource: String, Sendable, Equatable {
    /// One domain per L3 cache, as the machine reports.
    case l3Cache = "L3 cache"
    /// No L3 information: one domain per NUMA node.
    case numaNodes = "NUMA nodes"
    /// Neither L3 nor NUMA information: all usable CPUs form one domain.
    case usableCPUs = "all usable CPUs"
}

/// A machine (or copied tree) in which no CPU is both online and allowed: nothing can be placed.
public struct NoUsableCPUs: Error, Sendable, Equatable, CustomStringConvertible {
    /// The folder as given (`/` for this machine).
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public var description: String { "no usable CPUs found under \(root)" }
}

/// Which CPUs this process may run on, for placement purposes.
public enum AffinityMask: Sendable, Equatable {
    /// This process's own mask when reading the live machine ("/"); no limit for a copied tree,
    /// whose CPUs have nothing to do with the ones we run on.
    case automatic
    /// No limit: every online CPU, so output from a tree is the same on any machine.
    case allOnline
    /// Exactly these CPUs.
    case only(CPUSet)
}
