import LinuxSupport

/// This process's cgroup v2 limits, read under the unified hierarchy `sys/fs/cgroup`.
struct ControlGroup: Sendable {
    private let tree: SysfsTree
    /// Our own cgroup folder first, then each ancestor up to the hierarchy's root.
    private let folders: [String]

    /// Finds our own cgroup from the `0::/path` line of `proc/self/cgroup`; without that line
    /// (cgroup v1, or a copied tree that has none) the hierarchy's root stands in.
    init(tree: SysfsTree) {
        self.tree = tree
        let line = tree.text("proc/self/cgroup")?
            .split(separator: "\n")
            .first { $0.hasPrefix("0::") }
        let components = line.map { $0.dropFirst(3).split(separator: "/").map(String.init) } ?? []
        folders = (0...components.count).reversed().map { depth in
            (["sys/fs/cgroup"] + components.prefix(depth)).joined(separator: "/")
        }
    }

    /// `cpuset.cpus.effective` already folds in every ancestor's cpuset, so only our own counts.
    var effectiveCPUs: CPUSet? {
        tree.cpuList("\(folders[0])/cpuset.cpus.effective")
    }

    /// Whole CPUs of run time per period that `cpu.max` allows ("400000 100000" is 4), at least 1;
    /// nil when no cgroup on the way up sets a quota. The tightest ancestor wins.
    var cpuBudget: Int? {
        folders.compactMap { folder -> Int? in
            let fields = tree.text("\(folder)/cpu.max")?.split(separator: " ") ?? []
            guard fields.count == 2, let quota = Int(fields[0]), let period = Int(fields[1]),
                  quota > 0, period > 0 else { return nil } // "max 100000" means no quota
            return max(1, quota / period)
        }.min()
    }

    /// The tightest `memory.max` in bytes on the way up; nil when all say "max" or none exists.
    var memoryLimit: Int? {
        folders.compactMap { tree.integer("\($0)/memory.max") }.filter { $0 > 0 }.min()
    }
}
