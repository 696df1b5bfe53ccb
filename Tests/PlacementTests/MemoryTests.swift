import Foundation
import Placement
import Testing

private let gib = 1 << 30

@Suite("Memory estimates and their history")
struct MemoryEstimateTests {
    @Test("the guide's upper end per height", arguments: [
        (480, 1), (720, 1), (1080, 2), (1440, 3), (2160, 4), (4320, 8),
    ])
    func guide(height: Int, gibibytes: Int) {
        let estimate = MemoryEstimate.guide(for: JobClass(width: height * 16 / 9, height: height, bitDepth: 10, preset: 4))
        #expect(estimate == MemoryEstimate(bytes: gibibytes * gib, basis: .guide))
    }

    @Test("a class is its height step, bit depth and preset")
    func jobClass() {
        #expect(JobClass(width: 2160 * 16 / 9, height: 2160, bitDepth: 10, preset: 3).description == "2160p-10bit-preset3")
        #expect(JobClass(width: 2560, height: 1600, bitDepth: 8, preset: 4) == JobClass(width: 2560, height: 1440, bitDepth: 8, preset: 4))
        #expect(JobClass(width: 1080 * 16 / 9, height: 1080, bitDepth: 8, preset: 4) != JobClass(width: 1080 * 16 / 9, height: 1080, bitDepth: 10, preset: 4))
        #expect(JobClass(width: 480 * 16 / 9, height: 480, bitDepth: 8, preset: 5).description == "sd-8bit-preset5")
    }

    @Test("classes go by pixel count, not height: scope and 4:3 pictures join the step of their area", arguments: [
        (3840, 1600, "2160p"), (3840, 2160, "2160p"), (4096, 1716, "2160p"), (2560, 1440, "1440p"), (2560, 1072, "1080p"),
        (1920, 800, "1080p"), (1440, 1080, "1080p"), (1920, 1080, "1080p"), (1280, 536, "720p"), (960, 720, "720p"),
        (1280, 720, "720p"), (854, 480, "sd"), (720, 576, "sd"), (7680, 3200, "4320p"), (0, 0, "sd"),
    ] as [(Int, Int, String)])
    func pixelCount(width: Int, height: Int, step: String) {
        #expect(JobClass(width: width, height: height, bitDepth: 10, preset: 4).description == "\(step)-10bit-preset4")
    }

    @Test("learned peaks replace the guide, survive a restart and stay per class")
    func history() throws {
        let state = try TemporaryTree([:])
        defer { state.remove() }
        let uhd = JobClass(width: 2160 * 16 / 9, height: 2160, bitDepth: 10, preset: 3)
        let hd = JobClass(width: 720 * 16 / 9, height: 720, bitDepth: 10, preset: 5)
        var history = MemoryHistory(stateDirectory: state.root + "/state")
        #expect(history.estimate(for: uhd).basis == .guide)

        try history.record(peakRSS: 2 * gib, for: uhd)
        try history.record(peakRSS: 3 * gib, for: uhd)
        try history.record(peakRSS: 1 * gib, for: uhd)
        try history.record(peakRSS: 0, for: uhd) // a failed measurement is not a sample

        let reloaded = MemoryHistory(stateDirectory: state.root + "/state")
        #expect(reloaded.estimate(for: uhd) == MemoryEstimate(bytes: Int(3.6 * Double(gib)), basis: .learned(jobs: 3)))
        #expect(reloaded.estimate(for: hd) == .guide(for: hd))
        let files = try FileManager.default.contentsOfDirectory(atPath: state.root + "/state")
        #expect(files == ["memory-history.json"], "no temporary file left behind")
    }

    @Test("a corrupt history file starts afresh")
    func corruptHistory() throws {
        let state = try TemporaryTree(["memory-history.json": "{not json"])
        defer { state.remove() }
        var history = MemoryHistory(stateDirectory: state.root)
        let fullHD = JobClass(width: 1080 * 16 / 9, height: 1080, bitDepth: 10, preset: 4)
        #expect(history.estimate(for: fullHD).basis == .guide)
        try history.record(peakRSS: gib, for: fullHD)
        #expect(MemoryHistory(stateDirectory: state.root).estimate(for: fullHD).basis == .learned(jobs: 1))
    }
}

@Suite("Memory budget, pressure and admission")
struct AdmissionTests {
    @Test("the budget's limit, source and reserve", arguments: [
        // cgroup memory.max 16 GiB; the reserve is 10% as that is under 2 GiB.
        ("cgroup-limited", nil, nil, 16 * gib, MemoryBudget.Source.cgroup, 16 * gib / 10),
        ("cgroup-limited", 8 * gib, nil, 8 * gib, .configured, 8 * gib / 10),
        ("cgroup-limited", 32 * gib, nil, 16 * gib, .cgroup, 16 * gib / 10),
        // No cgroup limit: MemAvailable (96 GiB), 2 GiB reserve.
        ("epyc-32c-4ccd", nil, nil, 96 * gib, .available, 2 * gib),
        ("epyc-32c-4ccd", nil, 4 * gib, 96 * gib, .available, 4 * gib),
        // cgroup v1 memory.limit_in_bytes 12 GiB, found at the container's root.
        ("hybrid-v1", nil, nil, 12 * gib, .cgroup, 12 * gib / 10),
        // The service says "max"; its slice's 32 GiB binds.
        ("dual-socket", nil, nil, 32 * gib, .cgroup, 2 * gib),
    ] as [(String, Int?, Int?, Int, MemoryBudget.Source, Int)])
    func budget(fixture: String, configured: Int?, reserve: Int?, limit: Int, source: MemoryBudget.Source, reserved: Int) {
        let budget = MemoryBudget.read(sysfsRoot: Fixture.root(fixture), configuredLimit: configured, reserveBytes: reserve)
        #expect(budget == MemoryBudget(limitBytes: limit, source: source, reserveBytes: reserved))
        #expect(budget?.bytes == limit - reserved)
    }

    @Test("MemAvailable is read afresh, and what running jobs hold of it is added back")
    func memAvailableAgain() throws {
        let tree = try TemporaryTree(["proc/meminfo": "MemTotal: 16777216 kB\nMemAvailable: 8388608 kB\n"])
        defer { tree.remove() }
        #expect(MemoryBudget.read(sysfsRoot: tree.root)?.limitBytes == 8 * gib)
        try "MemTotal: 16777216 kB\nMemAvailable: 4194304 kB\n"
            .write(toFile: tree.root + "/proc/meminfo", atomically: false, encoding: .utf8)
        #expect(MemoryBudget.read(sysfsRoot: tree.root)?.limitBytes == 4 * gib, "another program took 4 GiB")
        #expect(MemoryBudget.read(sysfsRoot: tree.root, heldByRunningJobs: 3 * gib)?.limitBytes == 7 * gib)
        #expect(MemoryBudget.read(sysfsRoot: Fixture.root("cgroup-limited"), heldByRunningJobs: 3 * gib)?.limitBytes
            == 16 * gib, "a fixed limit already counts the jobs")
    }

    @Test("no limit and no meminfo: no budget")
    func noBudget() {
        #expect(MemoryBudget.read(sysfsRoot: Fixture.root("no-l3")) == nil)
    }

    @Test("PSI some avg10", arguments: [
        ("cgroup-limited", 12.5), ("epyc-32c-4ccd", 0.5), ("no-l3", nil),
    ] as [(String, Double?)])
    func pressure(fixture: String, avg10: Double?) {
        #expect(PressureGauge.read(sysfsRoot: Fixture.root(fixture))?.someAvg10 == avg10)
    }

    @Test("malformed PSI reads as none", arguments: ["", "some avg10=lots", "full avg10=50.00", "some avg60=50.00"])
    func malformedPressure(contents: String) throws {
        let tree = try TemporaryTree(["proc/pressure/memory": contents])
        defer { tree.remove() }
        #expect(PressureGauge.read(sysfsRoot: tree.root) == nil)
    }

    static let budget = MemoryBudget(limitBytes: 12 * gib, source: .configured, reserveBytes: 2 * gib)

    static func gibs(_ values: Int...) -> [MemoryEstimate] {
        values.map { MemoryEstimate(bytes: $0 * gib, basis: .guide) }
    }

    @Test("admission by estimates and pressure", arguments: [
        (4, gibs(), nil, "admit"),
        (4, gibs(2, 4), 9.99, "admit"),
        (4, gibs(2, 4, 1), nil, "waitForMemory"),
        (40, gibs(), nil, "admit"), // alone, however big: waiting would never help
        (40, gibs(1), nil, "waitForMemory"),
        (1, gibs(), 10.01, "waitForPressure"),
        (40, gibs(8), 50, "waitForPressure"),
    ] as [(Int, [MemoryEstimate], Double?, String)])
    func decide(estimate: Int, running: [MemoryEstimate], avg10: Double?, expected: String) {
        let decision = Admission.decide(estimate: Self.gibs(estimate)[0], running: running, budget: Self.budget,
                                        pressure: avg10.map(PressureGauge.init(someAvg10:)))
        switch decision {
        case .admit: #expect(expected == "admit")
        case .waitForMemory(let reason):
            #expect(expected == "waitForMemory")
            #expect(reason.contains("of the 10.0 GiB budget"), "\(reason)")
        case .waitForPressure(let reason):
            #expect(expected == "waitForPressure")
            #expect(reason.contains("limit 10.0%"), "\(reason)")
        }
    }

    @Test("the pressure limit is configurable")
    func pressureLimit() {
        let decision = Admission.decide(estimate: Self.gibs(1)[0], running: [], budget: Self.budget,
                                        pressure: PressureGauge(someAvg10: 12.5), pressureLimit: 20)
        #expect(decision == .admit)
    }

    @Test("a worker's RSS against its estimate", arguments: [
        (RSSPolicy(), 2 * gib, "ok"),
        (RSSPolicy(), 3 * gib, "ok"), // exactly 1.5x
        (RSSPolicy(), 3 * gib + 1, "report"),
        (RSSPolicy(), 6 * gib + 1, "stop"),
        (RSSPolicy(), 11 * gib, "stop"), // over the 10 GiB budget
        (RSSPolicy(warnFactor: 1.1, hardFactor: 2), 5 * gib, "stop"),
        (RSSPolicy(warnFactor: 1.1, hardFactor: 2), 2 * gib + gib / 4, "report"),
    ] as [(RSSPolicy, Int, String)])
    func rss(policy: RSSPolicy, rss: Int, expected: String) {
        let verdict = policy.judge(rss: rss, estimate: Self.gibs(2)[0], budget: Self.budget)
        switch verdict {
        case .ok: #expect(expected == "ok")
        case .report(let reason): #expect(expected == "report", "\(reason)")
        case .stop(let reason): #expect(expected == "stop", "\(reason)")
        }
    }
}
