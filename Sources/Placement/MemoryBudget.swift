import LinuxSupport
/// The memory av1d's jobs may use together: a limit minus a reserve for everything else.
public struct MemoryBudget: Sendable, Equatable {
    /// Where the limit comes from.
    public enum Source: String, Sendable, Equatable {
        case configured = "configured memory_limit"
        case cgroup = "cgroup memory.max"
        case available = "MemAvailable"
    }

    public let limitBytes: Int
    public let reserveBytes: Int
    public let source: Source

    /// `reserveBytes` defaults to 2 GiB or 10% of the limit, whichever is smaller.
    public init(limitBytes: Int, source: Source, reserveBytes: Int? = nil) {
        self.limitBytes = limitBytes
        self.source = source
        self.reserveBytes = reserveBytes ?? min(2 << 30, limitBytes / 10)
    }

    /// What jobs may use together.
    public var bytes: Int { max(0, limitBytes - reserveBytes) }

    /// The tighter of a configured `memory_limit` and the cgroup's memory limit (own cgroup and its
    /// ancestors, v2 or v1); with neither, `MemAvailable` from `proc/meminfo`, read afresh on every
    /// call since other programs come and go. MemAvailable already excludes what running jobs use,
    /// while admission subtracts their estimates itself: `heldByRunningJobs` (their RSS, each up to
    /// its estimate) is added back so it is not counted twice. Nil when no limit can be read at all.
    public static func read(sysfsRoot: String = "/", configuredLimit: Int? = nil,
                            reserveBytes: Int? = nil, heldByRunningJobs: Int = 0) -> MemoryBudget? {
        let tree = SysfsTree(root: sysfsRoot)
        let limits: [(bytes: Int, source: Source)] = [
            configuredLimit.map { ($0, .configured) },
            ControlGroup(tree: tree).memoryLimit.map { ($0, .cgroup) },
        ].compactMap { $0 }
        if let tightest = limits.min(by: { $0.bytes < $1.bytes }) {
            return MemoryBudget(limitBytes: tightest.bytes, source: tightest.source, reserveBytes: reserveBytes)
        }
        return memAvailable(tree).map {
            MemoryBudget(limitBytes: $0 + heldByRunningJobs, source: .available, reserveBytes: reserveBytes)
        }
    }

    /// `MemAvailable:  12345678 kB` from `proc/meminfo`, in bytes.
    private static func memAvailable(_ tree: SysfsTree) -> Int? {
        tree.text("proc/meminfo").flatMap { KernelTable($0)["MemAvailable"] }.map(Int.init)
    }
}
