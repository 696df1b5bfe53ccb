import Foundation
import LinuxSupport
import Placement
import Testing

@Suite("Machine health: temperatures, governors, network folders")
struct HealthTests {
    @Test("CPU package sensors from hwmon: k10temp all inputs, coretemp packages only, others ignored", arguments: [
        ("epyc-hot", ["k10temp Tctl 91.3°C", "k10temp Tccd1 87.8°C", "k10temp Tccd2 87.3°C", "k10temp Tccd3 86.8°C",
                      "k10temp Tccd4 86.3°C"]),
        ("dual-socket", ["coretemp Package id 0 55.0°C", "coretemp Package id 1 57.0°C"]),
        ("epyc-32c-4ccd", []),
        ("no-l3", []),
    ] as [(String, [String])])
    func temperatures(fixture: String, expected: [String]) {
        #expect(CPUTemperature.read(sysfsRoot: Fixture.root(fixture)).map(\.description) == expected)
    }

    @Test("an unlabelled input is named by its number; garbage inputs are skipped")
    func oddSensors() throws {
        let tree = try TemporaryTree([
            "sys/class/hwmon/hwmon3/name": "k10temp", "sys/class/hwmon/hwmon3/temp1_input": "45500",
            "sys/class/hwmon/hwmon3/temp2_input": "hot", "sys/class/hwmon/hwmon3/temp2_label": "Tccd1",
        ])
        defer { tree.remove() }
        #expect(CPUTemperature.read(sysfsRoot: tree.root) == [TemperatureReading(sensor: "k10temp", label: "temp1", celsius: 45.5)])
    }

    static func reading(_ celsius: Double) -> [TemperatureReading] {
        [TemperatureReading(sensor: "k10temp", label: "Tctl", celsius: celsius)]
    }

    @Test("admission pauses above the limit and resumes only 5°C below it")
    func thermalGate() {
        var gate = ThermalGate(limit: 85)
        #expect(gate.update(Self.reading(84)) == nil)
        #expect(gate.update(Self.reading(85)) == nil, "at the limit is not above it")
        #expect(gate.update(Self.reading(91)) == .paused(Self.reading(91)[0]))
        #expect(gate.reason == "CPU at 91.0°C (k10temp Tctl), above thermal_limit_c 85: no new job starts until below 80°C")
        #expect(gate.update(Self.reading(92)) == nil, "one episode, one change")
        #expect(gate.update(Self.reading(84)) == nil && gate.isClosed)
        #expect(gate.update(Self.reading(80)) == nil && gate.isClosed)
        #expect(gate.update(Self.reading(79.9)) == .resumed(Self.reading(79.9)[0]))
        #expect(!gate.isClosed && gate.reason == nil)
        #expect(gate.update(Self.reading(86)) == .paused(Self.reading(86)[0]), "a new episode")
        #expect(gate.update([]) == .resumed(nil), "sensors gone: nothing to wait for")
    }

    @Test("thermal_limit_c = 0 turns the gate off; no sensors never pause")
    func thermalOff() {
        var off = ThermalGate(limit: 0)
        #expect(off.update(Self.reading(110)) == nil && !off.isClosed)
        var noSensors = ThermalGate(limit: 85)
        #expect(noSensors.update([]) == nil && !noSensors.isClosed)
    }

    @Test("governors: powersave on acpi-cpufreq warns with the command; powersave under active amd-pstate explains",
          arguments: [
        ("epyc-hot", ["powersave": "0-63"], 1, 0),
        ("epyc-amd-pstate", ["powersave": "0-63"], 0, 1),
        ("dual-socket", ["performance": "0-63"], 0, 0),
        ("no-l3", [:], 0, 0),
    ] as [(String, [String: String], Int, Int)])
    func governors(fixture: String, governors: [String: String], warnings: Int, notes: Int) {
        let topology = Fixture.topology(fixture)
        let health = MachineHealth.read(sysfsRoot: Fixture.root(fixture), cpus: topology.usable)
        #expect(health.governors.mapValues(\.description) == governors)
        #expect(health.warnings.count == warnings)
        #expect(health.notes.count == notes)
        if warnings > 0 {
            #expect(health.warnings[0] == "CPUs 0-63 use the powersave governor (driver acpi-cpufreq): encoding runs 10-20% "
                + "slower than on performance. To change it: sudo cpupower -c 0-63 frequency-set -g performance")
        }
        if notes > 0 {
            #expect(health.notes[0].hasPrefix("CPUs 0-63 use powersave under amd-pstate-epp in active mode, where that is "
                + "the normal governor"))
        }
    }

    @Test("only the encoding CPUs' governors count; schedutil under amd-pstate is fine, under acpi-cpufreq it warns")
    func mixedGovernors() throws {
        let cpu = "sys/devices/system/cpu"
        let tree = try TemporaryTree([
            "\(cpu)/cpu0/cpufreq/scaling_governor": "schedutil", "\(cpu)/cpu0/cpufreq/scaling_driver": "amd-pstate",
            "\(cpu)/cpu1/cpufreq/scaling_governor": "ondemand", "\(cpu)/cpu1/cpufreq/scaling_driver": "acpi-cpufreq",
            "\(cpu)/cpu2/cpufreq/scaling_governor": "schedutil", "\(cpu)/cpu2/cpufreq/scaling_driver": "acpi-cpufreq",
            "\(cpu)/cpu3/cpufreq/scaling_governor": "powersave", "\(cpu)/cpu3/cpufreq/scaling_driver": "acpi-cpufreq",
        ])
        defer { tree.remove() }
        let health = MachineHealth.read(sysfsRoot: tree.root, cpus: .list("0-2"))
        #expect(health.governors.mapValues(\.description) == ["schedutil": "0,2", "ondemand": "1"])
        #expect(health.warnings.count == 2)
        #expect(health.warnings.allSatisfy { !$0.contains("CPUs 3") })
    }

    @Test("folders on NFS, SMB/CIFS, FUSE and 9p are warned about; local ones and nested local mounts are not",
          arguments: [
        ("/mnt/nas/av1d-temp", "NFS"), ("/mnt/nas", "NFS"), ("/mnt/share/t", "SMB/CIFS"), ("/mnt/smb3/t", "SMB/CIFS"),
        ("/home/u/remote/tmp", "FUSE"), ("/mnt/p9/t", "9p"), ("/mnt/nas/local/t", nil), ("/var/lib/av1d/temp", nil),
        ("/mnt/nasty/t", nil), ("/mnt/with space/t", "NFS"),
    ] as [(String, String?)])
    func networkFolders(path: String, kind: String?) throws {
        let tree = try TemporaryTree(["sys/devices/system/cpu/online": "0", "proc/self/mounts": """
            /dev/sda1 / ext4 rw,relatime 0 0
            nas:/export /mnt/nas nfs4 rw,relatime 0 0
            /dev/sdb1 /mnt/nas/local ext4 rw 0 0
            //srv/share /mnt/share cifs rw 0 0
            //srv/other /mnt/smb3 smb3 rw 0 0
            u@host:/ /home/u/remote fuse.sshfs rw 0 0
            tag /mnt/p9 9p rw 0 0
            nas:/b /mnt/with\\040space nfs rw 0 0
            """])
        defer { tree.remove() }
        #expect(FolderFileSystem.network(of: path, sysfsRoot: tree.root) == kind)
        let health = MachineHealth.read(sysfsRoot: tree.root, cpus: .list("0"), folders: [("temp_output_dir", path)])
        #expect(health.warnings == (kind.map {
            ["temp_output_dir \(path) is on \($0): not recommended, network latency will bottleneck encoding; use a local disk for it"]
        } ?? []))
    }

    @Test("this machine's folders are judged by statfs: a local temp folder gets no warning")
    func liveStatfs() {
        #expect(fileSystemMagic(of: "/proc") == 0x9FA0, "procfs's magic")
        #expect(fileSystemMagic(of: "/no/such/folder") == nil)
        #expect(FolderFileSystem.network(of: "/proc/self") == nil)
    }

    @Test("av1d topology's JSON and text carry temperatures, governors and warnings")
    func report() throws {
        let topology = Fixture.topology("epyc-hot")
        let health = MachineHealth.read(sysfsRoot: Fixture.root("epyc-hot"), cpus: topology.usable)
        let report = TopologyReport(topology: topology, upToJobs: 2, health: health)
        let object = try JSONSerialization.jsonObject(with: Data(try report.json().utf8)) as? [String: Any]
        let temperatures = try #require(object?["temperatures"] as? [[String: Any]])
        #expect(temperatures.first?["sensor"] as? String == "k10temp" && temperatures.first?["label"] as? String == "Tctl")
        #expect(temperatures.first?["celsius"] as? Double == 91.25)
        #expect(object?["governors"] as? [String: String] == ["powersave": "0-63"])
        #expect((object?["warnings"] as? [String])?.count == 1)
        #expect(report.text.contains("Temperatures: k10temp Tctl 91.3°C, k10temp Tccd1 87.8°C"))
        #expect(report.text.contains("Governors: powersave on 0-63"))
        #expect(report.text.contains("warning: CPUs 0-63 use the powersave governor"))
        let bare = try JSONSerialization.jsonObject(with: Data(try TopologyReport(
            topology: Fixture.topology("no-l3"), upToJobs: 1,
            health: MachineHealth.read(sysfsRoot: Fixture.root("no-l3"), cpus: .list("0-15"))).json().utf8)) as? [String: Any]
        #expect(bare?["temperatures"] as? [Any] != nil && (bare?["temperatures"] as? [Any])?.isEmpty == true)
        #expect((bare?["governors"] as? [String: String])?.isEmpty == true)
        #expect((bare?["warnings"] as? [String])?.isEmpty == true)
    }
}
