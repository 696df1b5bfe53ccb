import Foundation
import Placement
import Testing

@Suite("av1d topology output")
struct TopologyReportTests {
    @Test("JSON keys and shapes")
    func json() throws {
        let report = TopologyReport(topology: Fixture.topology("epyc-32c-4ccd"), upToJobs: 4)
        let object = try JSONSerialization.jsonObject(with: Data(try report.json().utf8)) as? [String: Any]
        #expect(Set(object?.keys ?? [:].keys) == ["usable_cpus", "l3_domains", "numa_nodes", "smt_groups", "plans"])
        #expect(object?["usable_cpus"] as? String == "0-63")
        #expect(object?["l3_domains"] as? [String] == ["0-7,32-39", "8-15,40-47", "16-23,48-55", "24-31,56-63"])
        #expect(object?["numa_nodes"] as? [String] == ["0-63"])
        #expect((object?["smt_groups"] as? [String])?.prefix(2) == ["0,32", "1,33"])
        let plans = object?["plans"] as? [String: [String]]
        #expect(plans?.keys.sorted() == ["1", "2", "3", "4"])
        #expect(plans?["2"] == ["0-15,32-47", "16-31,48-63"])
    }

    @Test("plans go up to one per domain by default, and at least two", arguments: [
        ("epyc-8ccd-4c", 8), ("cgroup-limited", 2), ("no-l3", 2),
    ])
    func defaultJobs(fixture: String, jobs: Int) {
        #expect(TopologyReport.defaultMaxJobs(for: Fixture.topology(fixture)) == jobs)
    }

    @Test("the text names the budget, the fallback domains and plans that fit fewer jobs")
    func text() {
        let limited = TopologyReport(topology: Fixture.topology("cgroup-limited"), upToJobs: 3).text
        #expect(limited.contains("CPU budget: 4 CPUs (cgroup cpu.max)"))
        #expect(limited.contains("3 jobs: 8,40 | 9,41 (only 2 fit)"))
        let noL3 = TopologyReport(topology: Fixture.topology("no-l3"), upToJobs: 2).text
        #expect(noL3.contains("Domains (2, from NUMA nodes: no L3 cache information):"))
    }
}
