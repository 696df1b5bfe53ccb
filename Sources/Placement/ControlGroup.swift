import LinuxSupport

/// This process's cgroup limits, from every hierarchy the machine mounts: cgroup v2 at
/// `sys/fs/cgroup` (unified) or `sys/fs/cgroup/unified` (hybrid), and the cgroup v1 controllers
/// `cpuset`, `cpu` and `memory` under `sys/fs/cgroup/<controller>`. Where several say something,
/// the tightest wins: the kernel enforces them all.
struct ControlGroup: Sendable {
    /// A limit and the file it came from, e.g. "cgroup v1 cpu.cfs_quota_us".
    struct Limit<Value: Sendable & Equatable>: Sendable, Equatable {
        let value: Value
        let source: String
    }

    private let tree: SysfsTree
    /// `proc/self/cgroup` as controller list → path: `""` is cgroup v2's `0::/path` line,
    /// `"cpu,cpuacct"` a v1 line. Empty for a copied tree without it: every root then stands in.
    private let paths: [String: String]

    init(tree: SysfsTree) {
        self.tree = tree
        var paths: [String: String] = [:]
        for line in (tree.text("proc/self/cgroup") ?? "").split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            paths[String(fields[1])] = String(fields[2])
        }
        self.paths = paths
    }

    /// What the cpusets allow, each to be intersected with the online CPUs. `cpuset.cpus.effective`
    /// (v2) and `cpuset.effective_cpus` (v1) already fold in every ancestor, so the nearest folder
    /// that has the file counts.
    var cpusets: [Limit<CPUSet>] {
        let v2 = v2Folders.lazy.compactMap { folder in
            tree.cpuList("\(folder)/cpuset.cpus.effective").map { Limit(value: $0, source: "cgroup v2 cpuset.cpus.effective") }
        }.first
        let v1 = v1Folders("cpuset").lazy.compactMap { folder in
            tree.cpuList("\(folder)/cpuset.effective_cpus").map { Limit(value: $0, source: "cgroup v1 cpuset.effective_cpus") }
        }.first
        return [v2, v1].compactMap { $0 }
    }

    /// Whole CPUs of run time per period that the CPU quota allows ("400000 100000" is 4), at least 1;
    /// nil when no cgroup on the way up sets one. A quota limits time, not which CPUs run.
    var cpuQuota: Limit<Int>? {
        let v2 = v2Folders.compactMap { folder -> Limit<Int>? in
            let fields = tree.text("\(folder)/cpu.max")?.split(separator: " ") ?? []
            guard fields.count == 2 else { return nil } // "max 100000" means no quota
            return Self.cpus(quota: Int(fields[0]), period: Int(fields[1])).map { Limit(value: $0, source: "cgroup v2 cpu.max") }
        }
        let v1 = v1Folders("cpu").compactMap { folder -> Limit<Int>? in
            // -1 means no quota.
            Self.cpus(quota: tree.integer("\(folder)/cpu.cfs_quota_us"), period: tree.integer("\(folder)/cpu.cfs_period_us"))
                .map { Limit(value: $0, source: "cgroup v1 cpu.cfs_quota_us") }
        }
        return (v2 + v1).min { $0.value < $1.value }
    }

    /// The tightest memory limit in bytes on the way up; nil when all say "max" or none exists.
    var memoryLimit: Int? {
        let v2 = v2Folders.compactMap { tree.integer("\($0)/memory.max") }
        // v1 writes "no limit" as a number near Int64.max rounded down to a page.
        let v1 = v1Folders("memory").compactMap { tree.integer("\($0)/memory.limit_in_bytes") }.filter { $0 < 1 << 62 }
        return (v2 + v1).filter { $0 > 0 }.min()
    }

    private static func cpus(quota: Int?, period: Int?) -> Int? {
        guard let quota, let period, quota > 0, period > 0 else { return nil }
        return max(1, quota / period)
    }

    /// The v2 folders to read: our own cgroup, then each ancestor up to the hierarchy's root. A
    /// hybrid machine mounts v2 at `unified`; a v2-only machine at `sys/fs/cgroup` itself.
    private var v2Folders: [String] {
        let mount = tree.isFolder("sys/fs/cgroup/unified") ? "sys/fs/cgroup/unified" : "sys/fs/cgroup"
        return upward(from: paths[""], under: mount)
    }

    /// The v1 folders of `controller`, own first; its mount is named by the controller list it
    /// shares (`cpu,cpuacct`) or by its own name.
    private func v1Folders(_ controller: String) -> [String] {
        let entry = paths.first { $0.key.split(separator: ",").contains { $0 == controller } }
        let mounts = [entry?.key, controller].compactMap { $0 }.map { "sys/fs/cgroup/\($0)" }
        guard let mount = mounts.first(where: tree.isFolder) else { return [] }
        return upward(from: entry?.value, under: mount)
    }

    /// `mount/a/b`, `mount/a`, `mount` for path `/a/b`. In a container the path names the host's
    /// folders, which do not exist here: reading them finds nothing and the root stands in.
    private func upward(from path: String?, under mount: String) -> [String] {
        let components = (path ?? "").split(separator: "/").map(String.init)
        return (0...components.count).reversed().map { depth in
            ([mount] + components.prefix(depth)).joined(separator: "/")
        }
    }
}
