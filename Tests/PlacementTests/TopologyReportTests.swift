import Foundation
import Placement
import Testing

@Suite("av1d topology output")
struct TopologyReportTests {
    @Test("JSON keys and shapes")
    func json() throws {
        let report = TopologyReport(topology: Fixture.topology("epyc-32c-4ccd"), upToJobs: 4)
        let object = try JSONSerialization.jsonObject(with: Data(try report.json().utf8)) as? [String: Any]
        #expect(Set(object?.keys ?? [:].keys) == ["usable_cpus", "l3_domains", "numa_nodes", "smt_groups", "cpu_budget",
                                                  "cgroup_limits", "plans", "plan_threads"])
        #expect(object?["usable_cpus"] as? String == "0-63")
        #expect(object?["l3_domains"] as? [String] == ["0-7,32-39", "8-15,40-47", "16-23,48-55", "24-31,56-63"])
        #expect(object?["numa_nodes"] as? [String] == ["0-63"])
        #expect((object?["smt_groups"] as? [String])?.prefix(2) == ["0,32", "1,33"])
        let plans = object?["plans"] as? [String: [String]]
        #expect(plans?.keys.sorted() == ["1", "2", "3", "4"])
        #expect(plans?["2"] == ["0-15,32-47", "16-31,48-63"])
        #expect((object?["plan_threads"] as? [String: [Int]])?["2"] == [32, 32])
        #expect(object?["cpu_budget"] is NSNull)
    }

    @Test("plan keys come in numeric order: 2 before 10")
    func numericKeys() throws {
        let json = try TopologyReport(topology: Fixture.topology("epyc-8ccd-4c"), upToJobs: 12).json()
        let keys = json.split(separator: "\n").compactMap { line -> Int? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("\""), trimmed.hasSuffix(": ["), let key = trimmed.split(separator: "\"").first else { return nil }
            return Int(key)
        }
        #expect(keys == Array(1...12) + Array(1...12), "plans, then plan_threads")
    }

    @Test("a container's quota: whole-CCD plans and quota-sized thread budgets in JSON")
    func containerJSON() throws {
        let report = TopologyReport(topology: Fixture.topology("container-quota"), upToJobs: 2)
        let object = try JSONSerialization.jsonObject(with: Data(try report.json().utf8)) as? [String: Any]
        #expect(object?["cpu_budget"] as? Int == 16)
        #expect(object?["plans"] as? [String: [String]] == ["1": ["8-23,40-55"], "2": ["8-15,40-47", "16-23,48-55"]])
        #expect(object?["plan_threads"] as? [String: [Int]] == ["1": [16], "2": [8, 8]])
        #expect(object?["cgroup_limits"] as? [String] == ["cpuset 8-23,40-55 (cgroup v2 cpuset.cpus.effective)",
                                                          "CPU quota 16 CPUs (cgroup v2 cpu.max)"])
    }

    @Test("plans go up to one per domain by default, and at least two", arguments: [
        ("epyc-8ccd-4c", 8), ("cgroup-limited", 2), ("container-quota", 2), ("no-l3", 2),
    ])
    func defaultJobs(fixture: String, jobs: Int) {
        #expect(TopologyReport.defaultMaxJobs(for: Fixture.topology(fixture)) == jobs)
    }

    @Test("the text names the budget, the fallback domains and plans that fit fewer jobs")
    func text() throws {
        let limited = TopologyReport(topology: Fixture.topology("cgroup-limited"), upToJobs: 3).text
        #expect(limited.contains("Limited by CPU quota 4 CPUs (cgroup v2 cpu.max)"))
        #expect(limited.contains("2 jobs: 8-11,40-43 (2 threads) | 12-15,44-47 (2 threads)"))
        let tiny = TopologyReport(topology: try Topology.read(sysfsRoot: "/", affinity: .only(.list("0"))), upToJobs: 2).text
        #expect(tiny.contains("2 jobs: 0 (only 1 fit)"))
        let noL3 = TopologyReport(topology: Fixture.topology("no-l3"), upToJobs: 2).text
        #expect(noL3.contains("Domains (2, from NUMA nodes: no L3 cache information):"))
    }
}
