@_exported import TestSupport
import Foundation
import LinuxSupport
import Placement

/// The fake sysfs trees in fixtures/sysfs, made by scripts/make-sysfs-fixtures.py.
enum Fixture {
    static let names = ["epyc-32c-4ccd", "epyc-8ccd-4c", "epyc-hot", "epyc-amd-pstate", "dual-socket", "offline-cpus", "cgroup-limited", "container-quota",
                        "hybrid-v1", "no-l3"]

    static func root(_ name: String) -> String {
        Fixtures.repository("fixtures/sysfs/\(name)")
    }

    /// Every fixture has usable CPUs: failing to read one is a broken fixture, not a test result.
    static func topology(_ name: String) -> Topology {
        do { return try Topology.read(sysfsRoot: root(name), affinity: .allOnline) } catch {
            fatalError("fixture \(name): \(error)")
        }
    }
}

/// A throwaway folder of files: kernel files for odd cases no fixture covers, or a state folder.
struct TemporaryTree {
    let root: String

    init(_ files: [String: String]) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("placement-\(UUID().uuidString)").path
        for (path, contents) in files {
            let url = URL(fileURLWithPath: root).appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: false, encoding: .utf8)
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

extension CPUSet {
    /// A kernel list written in a test; a typo there is a bug in the test.
    static func list(_ text: String) -> CPUSet {
        guard let set = CPUSet(list: text) else { fatalError("bad CPU list in test: \(text)") }
        return set
    }
}
