import Foundation
import LinuxSupport
import Placement
import Testing

@Suite("Reading the machine from sysfs")
struct TopologyTests {
    struct Expected: Sendable, CustomTestStringConvertible {
        let fixture: String
        let usable: String
        let domains: [String]
        let source: DomainSource
        let numaNodes: [String]
        let cpuBudget: Int?
        var testDescription: String { fixture }
    }

    @Test("usable CPUs, domains, NUMA nodes and budget of each fixture", arguments: [
        Expected(fixture: "epyc-32c-4ccd", usable: "0-63",
                 domains: ["0-7,32-39", "8-15,40-47", "16-23,48-55", "24-31,56-63"],
                 source: .l3Cache, numaNodes: ["0-63"], cpuBudget: nil),
        Expected(fixture: "epyc-8ccd-4c", usable: "0-63",
                 domains: (0..<8).map { "\($0 * 4)-\($0 * 4 + 3),\($0 * 4 + 32)-\($0 * 4 + 35)" },
                 source: .l3Cache, numaNodes: ["0-63"], cpuBudget: nil),
        Expected(fixture: "dual-socket", usable: "0-63",
                 domains: ["0-7,32-39", "8-15,40-47", "16-23,48-55", "24-31,56-63"],
                 source: .l3Cache, numaNodes: ["0-15,32-47", "16-31,48-63"], cpuBudget: nil),
        Expected(fixture: "offline-cpus", usable: "0-27,32-59",
                 domains: ["0-7,32-39", "8-15,40-47", "16-23,48-55", "24-27,56-59"],
                 source: .l3Cache, numaNodes: ["0-27,32-59"], cpuBudget: nil),
        Expected(fixture: "cgroup-limited", usable: "8-15,40-47",
                 domains: ["8-15,40-47"], source: .l3Cache, numaNodes: ["8-15,40-47"], cpuBudget: 4),
        // A container on two of four CCDs with 16 CPUs of run time: the quota limits time, not CPUs.
        Expected(fixture: "container-quota", usable: "8-23,40-55", domains: ["8-15,40-47", "16-23,48-55"],
                 source: .l3Cache, numaNodes: ["8-23,40-55"], cpuBudget: 16),
        // cgroup v1 cpuset and cpu.cfs_* beside an empty v2 hierarchy; /proc/self/cgroup names host paths.
        Expected(fixture: "hybrid-v1", usable: "0-7,32-39", domains: ["0-7,32-39"],
                 source: .l3Cache, numaNodes: ["0-7,32-39"], cpuBudget: 8),
        Expected(fixture: "no-l3", usable: "0-15",
                 domains: ["0-3,8-11", "4-7,12-15"], source: .numaNodes, numaNodes: ["0-3,8-11", "4-7,12-15"],
                 cpuBudget: nil),
    ])
    func fixture(_ expected: Expected) {
        let topology = Fixture.topology(expected.fixture)
        #expect(topology.usable.description == expected.usable)
        #expect(topology.domains.map(\.cpus.description) == expected.domains)
        #expect(topology.domainSource == expected.source)
        #expect(topology.numaNodes.map(\.cpus.description) == expected.numaNodes)
        #expect(topology.cpuBudget == expected.cpuBudget)
    }

    @Test("SMT groups pair CPU i with i + 32, from thread_siblings_list or core_cpus_list",
          arguments: ["epyc-32c-4ccd", "dual-socket"])
    func siblings(fixture: String) {
        let groups = Fixture.topology(fixture).smtGroups
        #expect(groups == (0..<32).map { CPUSet([$0, $0 + 32]) })
    }

    @Test("the package and NUMA node of each domain")
    func packages() {
        let domains = Fixture.topology("dual-socket").domains
        #expect(domains.map(\.package) == [0, 0, 1, 1])
        #expect(domains.map(\.numaNode) == [0, 0, 1, 1])
    }

    @Test("an explicit affinity mask narrows the usable CPUs")
    func affinity() throws {
        let topology = try Topology.read(sysfsRoot: Fixture.root("epyc-32c-4ccd"), affinity: .only(.list("0-3,32-33,40")))
        #expect(topology.usable == .list("0-3,32-33,40"))
        #expect(topology.domains.map(\.cpus) == [.list("0-3,32-33"), .list("40")])
        #expect(topology.smtGroups == [.list("0,32"), .list("1,33"), .list("2"), .list("3"), .list("40")])
    }

    @Test("a copied tree is not narrowed by this process's own affinity")
    func automaticAffinityOnCopiedTree() throws {
        #expect(try Topology.read(sysfsRoot: Fixture.root("epyc-32c-4ccd")).usable.count == 64)
    }

    @Test("the live machine reads without surprises")
    func liveMachine() throws {
        let topology = try Topology.read()
        #expect(!topology.usable.isEmpty)
        #expect(Set(topology.usable.cpus).isSubset(of: CPUAffinity.current().cpus))
        #expect(CPUSet(topology.domains.flatMap(\.cpus.cpus)) == topology.usable)
    }
}

@Suite("Odd sysfs content falls back instead of failing")
struct TopologyFallbackTests {
    private let cpu = "sys/devices/system/cpu"

    @Test("a garbage online list falls back to the cpuN folders")
    func garbageOnline() throws {
        let tree = try TemporaryTree(["\(cpu)/online": "banana", "\(cpu)/cpu0/online": "1", "\(cpu)/cpu1/online": "1",
                                 "\(cpu)/cpufreq/x": ""])
        defer { tree.remove() }
        let topology = try Topology.read(sysfsRoot: tree.root)
        #expect(topology.usable == .list("0-1"))
        #expect(topology.domains.map(\.cpus) == [.list("0-1")])
        #expect(topology.domainSource == .usableCPUs)
    }

    @Test("empty and garbage files are skipped: L3 then NUMA fall back, CPUs stand alone")
    func garbageLists() throws {
        let tree = try TemporaryTree([
            "\(cpu)/online": "0-3",
            "\(cpu)/cpu0/cache/index3/shared_cpu_list": "",
            "\(cpu)/cpu1/cache/index3/shared_cpu_list": "7-x",
            "\(cpu)/cpu0/topology/thread_siblings_list": "\n",
            "\(cpu)/cpu1/topology/thread_siblings_list": "2-3", // does not name cpu1 itself
            "\(cpu)/cpu0/topology/physical_package_id": "zero",
            "sys/devices/system/node/node0/cpulist": "",
            "sys/fs/cgroup/cpu.max": "lots 100000",
            "sys/fs/cgroup/cpuset.cpus.effective": "-",
        ])
        defer { tree.remove() }
        let topology = try Topology.read(sysfsRoot: tree.root)
        #expect(topology.usable == .list("0-3"))
        #expect(topology.domainSource == .usableCPUs)
        #expect(topology.domains.map(\.cpus) == [.list("0-3")])
        #expect(topology.domains.first?.package == nil)
        #expect(topology.smtGroups == [.list("0"), .list("1"), .list("2"), .list("3")])
        #expect(topology.numaNodes.isEmpty)
        #expect(topology.cpuBudget == nil)
    }

    @Test("L3 is found by its level, not by its index; index3 counts as L3 only without a level file")
    func cacheLevels() throws {
        let tree = try TemporaryTree([
            "\(cpu)/online": "0-3",
            // cpu0-1: L3 numbered index2; index3 is something else.
            "\(cpu)/cpu0/cache/index2/level": "3", "\(cpu)/cpu0/cache/index2/shared_cpu_list": "0-1",
            "\(cpu)/cpu0/cache/index3/level": "4", "\(cpu)/cpu0/cache/index3/shared_cpu_list": "0-3",
            // cpu2-3: index3 with no level file.
            "\(cpu)/cpu2/cache/index3/shared_cpu_list": "2-3",
        ])
        defer { tree.remove() }
        let topology = try Topology.read(sysfsRoot: tree.root)
        #expect(topology.domainSource == .l3Cache)
        #expect(topology.domains.map(\.cpus) == [.list("0-1"), .list("2-3")])
    }

    @Test("overlapping cache lists still give disjoint domains")
    func overlappingLists() throws {
        let tree = try TemporaryTree([
            "\(cpu)/online": "0-3",
            "\(cpu)/cpu0/cache/index3/shared_cpu_list": "0-2",
            "\(cpu)/cpu3/cache/index3/shared_cpu_list": "1-3",
        ])
        defer { tree.remove() }
        #expect(try Topology.read(sysfsRoot: tree.root).domains.map(\.cpus) == [.list("0-2"), .list("3")])
    }

    @Test("cpu.max gives whole CPUs, at least one; the tightest ancestor wins", arguments: [
        ("max 100000", nil), ("400000 100000", 4), ("150000 100000", 1), ("50000 100000", 1), ("0 100000", nil),
        ("100000", nil),
    ] as [(String, Int?)])
    func cpuMax(contents: String, budget: Int?) throws {
        let tree = try TemporaryTree([
            "\(cpu)/online": "0-7",
            "proc/self/cgroup": "1:cpu:/legacy\n0::/jobs/av1d\n",
            "sys/fs/cgroup/jobs/av1d/cpu.max": contents,
        ])
        defer { tree.remove() }
        #expect(try Topology.read(sysfsRoot: tree.root).cpuBudget == budget)
        try "300000 100000".write(toFile: tree.root + "/sys/fs/cgroup/jobs/cpu.max", atomically: false, encoding: .utf8)
        #expect(try Topology.read(sysfsRoot: tree.root).cpuBudget == min(budget ?? 3, 3))
    }

    @Test("a tree without usable CPUs is an error naming the folder")
    func emptyTree() throws {
        let tree = try TemporaryTree([:])
        defer { tree.remove() }
        #expect(throws: NoUsableCPUs(root: tree.root)) { try Topology.read(sysfsRoot: tree.root) }
        #expect(NoUsableCPUs(root: tree.root).description == "no usable CPUs found under \(tree.root)")
    }

    @Test("a cpuset that excludes every online CPU is an error too")
    func cpusetOutsideOnline() throws {
        let tree = try TemporaryTree(["\(cpu)/online": "0-3", "sys/fs/cgroup/cpuset.cpus.effective": "8-9"])
        defer { tree.remove() }
        #expect(throws: NoUsableCPUs.self) { try Topology.read(sysfsRoot: tree.root) }
    }

    @Test("a hybrid machine's cgroup v2 limits are read under sys/fs/cgroup/unified")
    func hybridUnified() throws {
        let tree = try TemporaryTree([
            "\(cpu)/online": "0-7",
            "proc/self/cgroup": "3:cpuset:/\n0::/av1d.service\n",
            "sys/fs/cgroup/unified/av1d.service/cpu.max": "200000 100000",
            "sys/fs/cgroup/unified/av1d.service/cpuset.cpus.effective": "2-5",
            "sys/fs/cgroup/unified/memory.max": "\(3 << 30)",
            // Not the v2 hierarchy on a hybrid machine: ignored.
            "sys/fs/cgroup/cpu.max": "100000 100000",
        ])
        defer { tree.remove() }
        let topology = try Topology.read(sysfsRoot: tree.root)
        #expect(topology.usable == .list("2-5"))
        #expect(topology.cpuBudget == 2)
        #expect(topology.limits == ["cpuset 2-5 (cgroup v2 cpuset.cpus.effective)", "CPU quota 2 CPUs (cgroup v2 cpu.max)"])
        #expect(MemoryBudget.read(sysfsRoot: tree.root)?.limitBytes == 3 << 30)
    }

    @Test("cgroup v1: cpuset.effective_cpus, cpu.cfs_quota_us/cfs_period_us (-1 is none), the tightest wins",
          arguments: [("-1", nil), ("250000", 2), ("50000", 1)] as [(String, Int?)])
    func cgroupV1(quota: String, budget: Int?) throws {
        let tree = try TemporaryTree([
            "\(cpu)/online": "0-7",
            "proc/self/cgroup": "2:cpu,cpuacct:/batch/av1d\n1:cpuset:/batch\n",
            "sys/fs/cgroup/cpu,cpuacct/batch/av1d/cpu.cfs_quota_us": quota,
            "sys/fs/cgroup/cpu,cpuacct/batch/av1d/cpu.cfs_period_us": "100000",
            "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1",
            "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000",
            "sys/fs/cgroup/cpuset/batch/cpuset.effective_cpus": "0-3",
            "sys/fs/cgroup/cpuset/cpuset.effective_cpus": "0-7",
        ])
        defer { tree.remove() }
        let topology = try Topology.read(sysfsRoot: tree.root)
        #expect(topology.usable == .list("0-3"))
        #expect(topology.cpuBudget == budget)
        #expect(topology.limits.contains("cpuset 0-3 (cgroup v1 cpuset.effective_cpus)"))
        #expect(topology.limits.contains { $0.hasSuffix("(cgroup v1 cpu.cfs_quota_us)") } == (budget != nil))
    }
}

@Suite("--sysfs-root: a folder read as /sys, or its parent")
struct SysfsRootTests {
    @Test("a fixture's sys/ folder read as /sys gives what the fixture gives", arguments: Fixture.names)
    func sysFolder(fixture: String) throws {
        let asSys = try Topology.read(sysfsRoot: Fixture.root(fixture) + "/sys", affinity: .allOnline)
        let asParent = Fixture.topology(fixture)
        #expect(asSys.usable == asParent.usable)
        #expect(asSys.domains == asParent.domains)
        #expect(asSys.cpuBudget == asParent.cpuBudget)
    }

    @Test("this machine's /sys read as a /sys folder is this machine")
    func liveSys() throws {
        let viaSys = try Topology.read(sysfsRoot: "/sys", affinity: .allOnline)
        let viaRoot = try Topology.read(sysfsRoot: "/", affinity: .allOnline)
        #expect(viaSys == viaRoot)
        #expect(!viaSys.usable.isEmpty)
    }

    @Test("a copy of this machine's /sys/devices/system reads as its online CPUs")
    func copiedSys() throws {
        let copy = try TemporaryTree([:])
        defer { copy.remove() }
        try FileManager.default.createDirectory(atPath: copy.root + "/devices/system", withIntermediateDirectories: true)
        for folder in ["cpu", "node"] {
            // Some sysfs files refuse reads (EIO, EACCES): cp copies the rest and complains.
            let cp = Process()
            cp.executableURL = URL(fileURLWithPath: "/bin/cp")
            cp.arguments = ["-r", "/sys/devices/system/\(folder)", copy.root + "/devices/system/"]
            cp.standardError = FileHandle.nullDevice
            try cp.run()
            cp.waitUntilExit()
        }
        let online = try #require(CPUSet(list: try String(contentsOfFile: "/sys/devices/system/cpu/online", encoding: .utf8)))
        let topology = try Topology.read(sysfsRoot: copy.root)
        #expect(topology.usable == online)
        #expect(CPUSet(topology.domains.flatMap(\.cpus.cpus)) == online)
    }
}
