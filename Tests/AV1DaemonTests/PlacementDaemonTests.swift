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

    static let sysfsFixtures = Fixtures.repository("fixtures/sysfs")

    /// `av1d status --json` of a running daemon, through its socket.
    static func status(_ daemon: DaemonHarness) throws -> [String: Any] {
        let result = Media.run([DaemonHarness.binary, "status", "--config", daemon.configPath, "--json"])
        return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    }

    @Test("a k10temp at 91°C pauses admission, said in status and the log once; 82°C keeps it, 79°C resumes")
    func thermalPause() throws {
        let daemon = try DaemonHarness()
        // A copy of the hot EPYC, so the test can cool it down.
        let tree = daemon.root + "/machine"
        try FileManager.default.copyItem(atPath: Self.sysfsFixtures + "/epyc-hot", toPath: tree)
        let k10temp = tree + "/sys/class/hwmon/hwmon1"
        /// Sets Tctl and every Tccd of the copy (the NVMe sensor in hwmon0 stays hot: it is no CPU).
        func cool(to millidegrees: Int) throws {
            for input in try FileManager.default.contentsOfDirectory(atPath: k10temp) where input.hasSuffix("_input") {
                try "\(millidegrees)\n".write(toFile: k10temp + "/" + input, atomically: true, encoding: .utf8)
            }
        }
        try daemon.add("multitrack.mkv")
        try daemon.start(arguments: ["--sysfs-root", tree])

        #expect(daemon.wait { (try? Self.status(daemon))?["queued"] as? Int == 1 }, "\(daemon.log)")
        let status = try Self.status(daemon)
        let pause = try #require(status["admission_pause"] as? [String: Any], "\(status)")
        #expect(pause["reason"] as? String == "thermal")
        #expect(pause["message"] as? String
            == "CPU at 91.3°C (k10temp Tctl), above thermal_limit_c 85: no new job starts until below 80°C")
        #expect((status["temperatures"] as? [[String: Any]])?.first?["celsius"] as? Double == 91.25)
        #expect((status["warnings"] as? [String])?.first?.contains("powersave governor") == true)
        #expect(daemon.records(for: "multitrack.mkv").isEmpty, "no job started while hot")

        try cool(to: 82000)
        Thread.sleep(forTimeInterval: 3)
        #expect(daemon.records(for: "multitrack.mkv").isEmpty, "82°C is within the 5°C hysteresis")
        #expect(((try? Self.status(daemon))?["admission_pause"] as? [String: Any])?["reason"] as? String == "thermal")

        try cool(to: 79000)
        #expect(daemon.wait { !daemon.records(for: "multitrack.mkv").isEmpty }, "\(daemon.log)")
        #expect((try? Self.status(daemon))?["admission_pause"] == nil)
        _ = try daemon.stop()
        #expect(daemon.log.components(separatedBy: "thermal pause:").count == 2, "logged once per episode: \(daemon.log)")
        #expect(daemon.log.contains("thermal pause over: CPU cooled (79.0°C); taking new jobs again"))
    }

    @Test("thermal_limit_c = 0: the hot machine still takes jobs")
    func thermalOff() throws {
        let daemon = try DaemonHarness(["thermal_limit_c": "0"])
        try daemon.add("multitrack.mkv")
        try daemon.start(arguments: ["--sysfs-root", Self.sysfsFixtures + "/epyc-hot"])
        #expect(daemon.wait { !daemon.records(for: "multitrack.mkv").isEmpty }, "\(daemon.log)")
        #expect(!daemon.log.contains("thermal pause"))
        _ = try daemon.stop()
    }

    @Test("av1d topology --json on the hot EPYC: temperatures, governors and the governor warning")
    func topologyHealth() throws {
        let result = Media.run([DaemonHarness.binary, "topology", "--json", "--sysfs-root", Self.sysfsFixtures + "/epyc-hot"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect((json["temperatures"] as? [[String: Any]])?.count == 5)
        #expect(json["governors"] as? [String: String] == ["powersave": "0-63"])
        #expect((json["warnings"] as? [String])?.count == 1)
        let pstate = Media.run([DaemonHarness.binary, "topology", "--sysfs-root", Self.sysfsFixtures + "/epyc-amd-pstate"])
        #expect(pstate.output.contains("note: CPUs 0-63 use powersave under amd-pstate-epp in active mode"))
        #expect(!pstate.output.contains("warning:"))
    }
}
