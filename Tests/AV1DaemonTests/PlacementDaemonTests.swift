import AV1Daemon
import Foundation
import Testing

/// `--sysfs-root` as users give it, and CPU sets a real daemon hands its jobs.
@Suite("Placement of a real daemon and av1d topology", .serialized)
struct PlacementDaemonTests {
    /// `av1d topology --json` on this machine: the usable CPUs as one set and the plan for N jobs.
    static func machine(jobs: Int = 2) throws -> (usable: String, plan: [String]) {
        let result = Media.run([DaemonHarness.binary, "topology", "--json", "--jobs", "\(jobs)"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let plans = try #require(json["plans"] as? [String: [String]])
        return (try #require(json["usable_cpus"] as? String), try #require(plans["\(jobs)"]))
    }

    static func cpus(_ list: String) -> Set<Int> {
        Set(list.split(separator: ",").flatMap { part -> [Int] in
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            return bounds.count == 2 ? Array(bounds[0]...bounds[1]) : bounds
        })
    }

    @Test("--sysfs-root /sys, or a copy of it, reads as this machine")
    func sysFolder() throws {
        let live = Media.run([DaemonHarness.binary, "topology", "--json"])
        let viaSys = Media.run([DaemonHarness.binary, "topology", "--json", "--sysfs-root", "/sys"])
        #expect(viaSys.status == 0)
        let online = try String(contentsOfFile: "/sys/devices/system/cpu/online", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let sysJSON = try #require(try JSONSerialization.jsonObject(with: Data(viaSys.output.utf8)) as? [String: Any])
        // Affinity is ignored for a given tree, the cgroup's cpuset is not: equal to the live view here.
        let liveJSON = try #require(try JSONSerialization.jsonObject(with: Data(live.output.utf8)) as? [String: Any])
        #expect(sysJSON["usable_cpus"] as? String == liveJSON["usable_cpus"] as? String)
        #expect(Self.cpus(try #require(sysJSON["usable_cpus"] as? String)).isSubset(of: Self.cpus(online)))

        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("sys-copy-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.createDirectory(atPath: copy + "/devices/system", withIntermediateDirectories: true)
        // Some sysfs files refuse reads (EIO, EACCES): cp copies the rest and complains.
        _ = Media.run(["cp", "-r", "/sys/devices/system/cpu", "/sys/devices/system/node", copy + "/devices/system/"])
        let viaCopy = Media.run([DaemonHarness.binary, "topology", "--sysfs-root", copy])
        #expect(viaCopy.status == 0)
        #expect(viaCopy.output.hasPrefix("Usable CPUs: \(online) "), "\(viaCopy.output)")
    }

    @Test("an empty or garbage folder: one line, exit 1, for topology and for the daemon")
    func noCPUs() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("sys-empty-\(UUID().uuidString)").path
        let garbage = FileManager.default.temporaryDirectory.appendingPathComponent("sys-garbage-\(UUID().uuidString)").path
        defer { for folder in [empty, garbage] { try? FileManager.default.removeItem(atPath: folder) } }
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: garbage + "/devices/system/cpu", withIntermediateDirectories: true)
        try "banana\n".write(toFile: garbage + "/devices/system/cpu/online", atomically: true, encoding: .utf8)
        for folder in [empty, garbage] {
            for json in [false, true] {
                let result = Media.run([DaemonHarness.binary, "topology", "--sysfs-root", folder] + (json ? ["--json"] : []))
                #expect(result.status == 1)
                #expect(result.output == "error: no usable CPUs found under \(folder)\n")
            }
        }
        let daemon = try DaemonHarness()
        try daemon.start(arguments: ["--sysfs-root", empty])
        #expect(daemon.wait(timeout: 20) { daemon.process?.isRunning == false })
        #expect(daemon.process?.terminationStatus == 1)
        let lines = daemon.log.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasSuffix("cannot start: no usable CPUs found under \(empty)") == true,
                "\(daemon.log)")
    }

    @Test("max_concurrent_jobs = 2 and one file: the file gets every usable CPU")
    func tailOneFile() throws {
        let machine = try Self.machine()
        let daemon = try DaemonHarness(["max_concurrent_jobs": "2"])
        try daemon.add("bbb720.mp4")
        try daemon.start()
        #expect(daemon.wait { daemon.records(for: "bbb720.mp4").last?.cpus != nil }, "\(daemon.log)")
        #expect(daemon.records(for: "bbb720.mp4").last?.cpus == machine.usable, "\(daemon.log)")
        _ = try daemon.stop()
    }

    @Test("max_concurrent_jobs = 2 and two files: two disjoint sets that together are every usable CPU")
    func tailTwoFiles() throws {
        let machine = try Self.machine()
        try #require(machine.plan.count == 2, "this machine has room for two jobs")
        let daemon = try DaemonHarness(["max_concurrent_jobs": "2"])
        try daemon.add("bbb720-loop.mp4", as: "a.mp4")
        try daemon.add("bbb720-loop.mp4", as: "b.mp4")
        try daemon.start()
        #expect(daemon.wait {
            daemon.records(for: "a.mp4").last?.cpus != nil && daemon.records(for: "b.mp4").last?.cpus != nil
        }, "\(daemon.log)")
        let sets = try ["a.mp4", "b.mp4"].map { Self.cpus(try #require(daemon.records(for: $0).last?.cpus)) }
        #expect(sets[0].isDisjoint(with: sets[1]))
        #expect(sets[0].union(sets[1]) == Self.cpus(machine.usable))
        _ = try daemon.stop()
    }
}
