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
    func affinity() {
        let topology = Topology.read(sysfsRoot: Fixture.root("epyc-32c-4ccd"), affinity: .only(.list("0-3,32-33,40")))
        #expect(topology.usable == .list("0-3,32-33,40"))
        #expect(topology.domains.map(\.cpus) == [.list("0-3,32-33"), .list("40")])
        #expect(topology.smtGroups == [.list("0,32"), .list("1,33"), .list("2"), .list("3"), .list("40")])
    }

    @Test("a copied tree is not narrowed by this process's own affinity")
    func automaticAffinityOnCopiedTree() {
        #expect(Topology.read(sysfsRoot: Fixture.root("epyc-32c-4ccd")).usable.count == 64)
    }

    @Test("the live machine reads without surprises")
    func liveMachine() {
        let topology = Topology.read()
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
        let topology = Topology.read(sysfsRoot: tree.root)
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
        let topology = Topology.read(sysfsRoot: tree.root)
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
        let topology = Topology.read(sysfsRoot: tree.root)
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
        #expect(Topology.read(sysfsRoot: tree.root).domains.map(\.cpus) == [.list("0-2"), .list("3")])
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
        #expect(Topology.read(sysfsRoot: tree.root).cpuBudget == budget)
        try "300000 100000".write(toFile: tree.root + "/sys/fs/cgroup/jobs/cpu.max", atomically: false, encoding: .utf8)
        #expect(Topology.read(sysfsRoot: tree.root).cpuBudget == min(budget ?? 3, 3))
    }

    @Test("an empty tree gives an empty topology")
    func emptyTree() throws {
        let tree = try TemporaryTree([:])
        defer { tree.remove() }
        let topology = Topology.read(sysfsRoot: tree.root)
        #expect(topology.usable.isEmpty && topology.domains.isEmpty)
        #expect(PlacementPlanner(topology: topology).plan(jobs: 3).isEmpty)
    }
}
