import LinuxSupport
import Placement
import Testing

@Suite("Plans for N concurrent jobs")
struct PlannerTests {
    @Test("every plan is disjoint, keeps siblings together, covers the allowed CPUs and stays in one L3 when it can",
          arguments: Fixture.names, 1...12)
    func rules(fixture: String, jobs: Int) {
        let topology = Fixture.topology(fixture)
        let planner = PlacementPlanner(topology: topology)
        let plan = planner.plan(jobs: jobs)
        let allowed = Set(planner.allowed.cpus)
        let placed = plan.flatMap(\.cpus)

        #expect(placed.count == Set(placed).count, "disjoint")
        #expect(Set(placed).isSubset(of: allowed), "usable and within budget only")
        #expect(plan.count == min(jobs, topology.smtGroups.filter { Set($0.cpus).isSubset(of: allowed) }.count))
        #expect(Set(placed) == allowed, "every allowed CPU goes to some job")
        for group in topology.smtGroups {
            #expect(plan.filter { !Set($0.cpus).isDisjoint(with: group.cpus) }.count <= 1, "siblings \(group) split")
            #expect(plan.allSatisfy { Set($0.cpus).isDisjoint(with: group.cpus) || Set(group.cpus).isSubset(of: $0.cpus) })
        }
        let domains = topology.domains.map { Set($0.cpus.cpus) }
        for set in plan.map({ Set($0.cpus) }) {
            let touched = domains.filter { !$0.isDisjoint(with: set) }
            if jobs >= domains.count {
                #expect(touched.count == 1, "\(set.sorted()) spans L3 domains")
            } else {
                #expect(touched.allSatisfy { $0.isSubset(of: set) }, "\(set.sorted()) holds part of a domain")
            }
        }
    }

    @Test("the CPU sets each job count gets", arguments: [
        ("epyc-32c-4ccd", 1, ["0-63"]),
        ("epyc-32c-4ccd", 2, ["0-15,32-47", "16-31,48-63"]),
        ("epyc-32c-4ccd", 3, ["0-7,32-39", "8-15,40-47", "16-31,48-63"]),
        ("epyc-32c-4ccd", 4, ["0-7,32-39", "8-15,40-47", "16-23,48-55", "24-31,56-63"]),
        ("epyc-32c-4ccd", 8, ["0-3,32-35", "4-7,36-39", "8-11,40-43", "12-15,44-47",
                              "16-19,48-51", "20-23,52-55", "24-27,56-59", "28-31,60-63"]),
        ("epyc-8ccd-4c", 2, ["0-15,32-47", "16-31,48-63"]),
        ("epyc-8ccd-4c", 3, ["0-11,32-43", "12-19,44-51", "20-31,52-63"]),
        // Packages first: two jobs get one socket each, six get three per socket.
        ("dual-socket", 2, ["0-15,32-47", "16-31,48-63"]),
        ("dual-socket", 6, ["0-3,32-35", "4-7,36-39", "8-15,40-47", "16-19,48-51", "20-23,52-55", "24-31,56-63"]),
        ("offline-cpus", 4, ["0-7,32-39", "8-15,40-47", "16-23,48-55", "24-27,56-59"]),
        // cpuset 8-15,40-47 under a quota of 4 CPUs: the quota limits time, not CPUs.
        ("cgroup-limited", 1, ["8-15,40-47"]),
        ("cgroup-limited", 4, ["8-9,40-41", "10-11,42-43", "12-13,44-45", "14-15,46-47"]),
        // Two CCDs of a container under a 16-CPU quota: whole CCDs, as on any machine.
        ("container-quota", 1, ["8-23,40-55"]),
        ("container-quota", 2, ["8-15,40-47", "16-23,48-55"]),
        ("container-quota", 4, ["8-11,40-43", "12-15,44-47", "16-19,48-51", "20-23,52-55"]),
        ("no-l3", 2, ["0-3,8-11", "4-7,12-15"]),
        ("no-l3", 3, ["0-1,8-9", "2-3,10-11", "4-7,12-15"]),
    ] as [(String, Int, [String])])
    func plans(fixture: String, jobs: Int, expected: [String]) {
        let planner = PlacementPlanner(topology: Fixture.topology(fixture))
        #expect(planner.plan(jobs: jobs).map(\.description) == expected)
    }

    @Test("offline CPUs and CPUs outside the cgroup cpuset go to no job")
    func unusableNeverPlaced() {
        let offline = Set([28, 29, 30, 31, 60, 61, 62, 63])
        let plan = PlacementPlanner(topology: Fixture.topology("offline-cpus")).plan(jobs: 7)
        #expect(plan.allSatisfy { Set($0.cpus).isDisjoint(with: offline) })
        let limited = PlacementPlanner(topology: Fixture.topology("cgroup-limited"))
        #expect(limited.allowed == .list("8-15,40-47"))
    }

    @Test("under a CPU quota each job's thread budget is its share by set size; without one, its set size",
          arguments: [
        ("container-quota", 1, [16]), ("container-quota", 2, [8, 8]), ("container-quota", 4, [4, 4, 4, 4]),
        ("container-quota", 3, [4, 4, 8]), ("container-quota", 16, Array(repeating: 1, count: 16)),
        ("cgroup-limited", 1, [4]), ("cgroup-limited", 2, [2, 2]), ("cgroup-limited", 8, Array(repeating: 1, count: 8)),
        ("hybrid-v1", 1, [8]), ("hybrid-v1", 2, [4, 4]),
        ("epyc-32c-4ccd", 2, [32, 32]), ("no-l3", 3, [4, 4, 8]),
    ] as [(String, Int, [Int])])
    func threadBudgets(fixture: String, jobs: Int, threads: [Int]) {
        let planner = PlacementPlanner(topology: Fixture.topology(fixture))
        #expect(planner.plan(jobs: jobs).map(planner.threads(for:)) == threads)
    }

    @Test("a plan within the free CPUs follows the same rules: the tail of the queue gets what no job holds",
          arguments: [
        // One CCD busy: one more job gets the other three, two more split them by whole CCDs.
        ("epyc-32c-4ccd", "8-31,40-63", 1, ["8-31,40-63"]),
        ("epyc-32c-4ccd", "8-31,40-63", 2, ["8-15,40-47", "16-31,48-63"]),
        // Half a CCD busy: the free half stays one set, whole CCDs the others.
        ("epyc-32c-4ccd", "4-31,36-63", 2, ["4-15,36-47", "16-31,48-63"]),
        ("container-quota", "16-23,48-55", 1, ["16-23,48-55"]),
        // A sibling of a busy core is not free.
        ("epyc-32c-4ccd", "0-3,32-34", 1, ["0-2,32-34"]),
        ("epyc-32c-4ccd", "", 1, []),
    ] as [(String, String, Int, [String])])
    func planWithinFree(fixture: String, free: String, jobs: Int, expected: [String]) {
        let planner = PlacementPlanner(topology: Fixture.topology(fixture))
        let freeCPUs = free.isEmpty ? CPUSet([]) : CPUSet.list(free)
        #expect(planner.plan(jobs: jobs, within: freeCPUs).map(\.description) == expected)
    }

    @Test("no jobs, no plan")
    func zeroJobs() {
        #expect(PlacementPlanner(topology: Fixture.topology("epyc-32c-4ccd")).plan(jobs: 0).isEmpty)
    }
}

@Suite("CPU demand by resolution and preset")
struct JobDemandTests {
    @Test("the tuning guide's figures", arguments: [
        (2160, 3, 24, 20), (2160, 4, 24, 20), (4320, 2, 24, 20), (1440, 4, 20, 16),
        (1080, 4, 16, 12), (1080, 2, 16, 12), (720, 5, 10, 8), (480, 5, 6, 4),
    ])
    func guide(height: Int, preset: Int, cpus: Int, minimum: Int) {
        let demand = JobDemand(width: height * 16 / 9, height: height, preset: preset)
        #expect(demand.wantedCPUs == cpus)
        #expect(demand.minimumCPUs == minimum)
    }

    @Test("faster presets want fewer CPUs, never none", arguments: [2160, 1080, 720, 360])
    func fasterPresets(height: Int) {
        let demands = (-1...13).map { JobDemand(width: height * 16 / 9, height: height, preset: $0) }
        #expect(zip(demands, demands.dropFirst()).allSatisfy {
            $1.wantedCPUs <= $0.wantedCPUs && $1.minimumCPUs <= $0.minimumCPUs
        })
        #expect(demands.last!.wantedCPUs < demands.first!.wantedCPUs)
        #expect(demands.allSatisfy { $0.minimumCPUs >= 1 && $0.minimumCPUs <= $0.wantedCPUs })
    }
}

@Suite("Placing jobs on a pool of free CPUs")
struct CPUPoolTests {
    let uhd = JobDemand(width: 2160 * 16 / 9, height: 2160, preset: 3)
    let fullHD = JobDemand(width: 1080 * 16 / 9, height: 1080, preset: 4)
    let hd = JobDemand(width: 720 * 16 / 9, height: 720, preset: 5)

    @Test("a 2160p job takes two whole L3 domains; a third waits until one ends")
    func uhdOnFourCCDs() {
        var pool = CPUPool(topology: Fixture.topology("epyc-32c-4ccd"))
        let first = pool.take(uhd)
        #expect(first == .list("0-15,32-47"))
        #expect(pool.take(uhd) == .list("16-31,48-63"))
        #expect(pool.take(uhd) == nil)
        pool.give(back: first!)
        #expect(pool.take(uhd) == .list("0-15,32-47"))
    }

    @Test("1080p takes one whole domain; smaller jobs fill a domain before opening another")
    func bestFit() {
        var pool = CPUPool(topology: Fixture.topology("epyc-32c-4ccd"))
        #expect(pool.take(hd) == .list("0-4,32-36"))
        #expect(pool.take(fullHD) == .list("8-15,40-47"))
        #expect(pool.take(JobDemand(width: 720 * 16 / 9, height: 720, preset: 10)) == .list("5-6,37-38"), "fits in the rest of the first domain")
        #expect(pool.take(hd) == .list("16-20,48-52"))
    }

    @Test("a job bigger than a domain takes whole domains on one NUMA node")
    func wholeDomains() {
        var pool = CPUPool(topology: Fixture.topology("epyc-8ccd-4c"))
        #expect(pool.take(fullHD) == .list("0-7,32-39"))
        #expect(pool.take(uhd) == .list("8-19,40-51"))
    }

    @Test("jobs spread over NUMA nodes and sockets")
    func spreadOverNodes() {
        var pool = CPUPool(topology: Fixture.topology("dual-socket"))
        #expect(pool.take(fullHD) == .list("0-7,32-39"))
        #expect(pool.take(fullHD) == .list("16-23,48-55"), "the emptier socket")
        #expect(pool.take(fullHD) == .list("8-15,40-47"))
    }

    @Test("a 2160p job takes whole domains on one NUMA node, across nodes only when no node has room")
    func crossNode() {
        var pool = CPUPool(topology: Fixture.topology("dual-socket"))
        #expect(pool.take(uhd) == .list("0-15,32-47"))
        #expect(pool.take(uhd) == .list("16-31,48-63"))
        var split = CPUPool(topology: Fixture.topology("dual-socket"))
        _ = split.take(fullHD)
        _ = split.take(fullHD)
        #expect(split.take(uhd) == .list("8-15,24-31,40-47,56-63"))
        var small = CPUPool(topology: Fixture.topology("no-l3"))
        #expect(small.take(uhd) == .list("0-15"), "a machine smaller than the demand runs it on everything")
    }

    @Test("with too little free, a job takes a domain's rest if that reaches its minimum, else waits")
    func minimum() {
        var pool = CPUPool(topology: Fixture.topology("no-l3"))
        #expect(pool.take(hd) == .list("0-3,8-11"), "8 of the 10 wanted: the whole domain")
        #expect(pool.take(fullHD) == nil)
        #expect(pool.take(hd) == .list("4-7,12-15"))
        #expect(pool.take(hd) == nil)
    }

    @Test("a CPU quota does not shrink the pool; it sizes the thread budgets")
    func budget() {
        var pool = CPUPool(topology: Fixture.topology("container-quota"))
        #expect(pool.free == .list("8-23,40-55"))
        let first = pool.take(fullHD)
        #expect(first == .list("8-15,40-47"))
        #expect(first.map(pool.threads(for:)) == 8)
        #expect(pool.take(fullHD) == .list("16-23,48-55"))
        #expect(pool.take(hd) == nil)
    }

    @Test("fixed concurrency at the tail: each starting job shares the free CPUs with those about to start")
    func takeShare() {
        var pool = CPUPool(topology: Fixture.topology("epyc-32c-4ccd"))
        #expect(pool.takeShare(ofJobs: 2) == .list("0-15,32-47"), "two runnable: half each")
        #expect(pool.takeShare(ofJobs: 1) == .list("16-31,48-63"), "the second takes the rest")
        #expect(pool.takeShare(ofJobs: 1) == nil)
        pool.give(back: .list("0-15,32-47"))
        #expect(pool.takeShare(ofJobs: 1) == .list("0-15,32-47"), "new work takes what is free")
    }

    @Test("offline CPUs are never handed out; every job holds whole SMT groups")
    func offline() {
        let topology = Fixture.topology("offline-cpus")
        var pool = CPUPool(topology: topology)
        var taken: [CPUSet] = []
        while let cpus = pool.take(hd) { taken.append(cpus) }
        #expect(taken.count == 4)
        #expect(Set(taken.flatMap(\.cpus)).isSubset(of: topology.usable.cpus))
        for group in topology.smtGroups {
            #expect(taken.allSatisfy { Set($0.cpus).isDisjoint(with: group.cpus) || Set(group.cpus).isSubset(of: $0.cpus) })
        }
    }

    @Test("giving back CPUs the pool never had changes nothing")
    func foreignCPUs() {
        var pool = CPUPool(topology: Fixture.topology("cgroup-limited"))
        pool.give(back: .list("0-63"))
        #expect(pool.free == .list("8-15,40-47"))
    }

    @Test("auto concurrency counts the queued jobs that fit now, in queue order")
    func jobsThatFit() {
        var pool = CPUPool(topology: Fixture.topology("epyc-32c-4ccd"))
        #expect(pool.jobsThatFit([uhd, uhd, uhd]) == 2)
        #expect(pool.jobsThatFit([fullHD, fullHD, fullHD, fullHD, fullHD]) == 4)
        #expect(pool.jobsThatFit([uhd, uhd, hd, hd]) == 2, "a job that does not fit stops the count")
        _ = pool.take(uhd)
        #expect(pool.jobsThatFit([hd, hd, hd]) == 2)
        #expect(pool.free == .list("16-31,48-63"), "counting takes nothing")
    }
}
