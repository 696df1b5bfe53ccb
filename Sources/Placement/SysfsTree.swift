import Foundation
import LinuxSupport

/// Reads kernel files under a root that holds `sys/` and `proc/`: "/" for this machine, or a copied
/// tree in tests. Missing, unreadable, empty or malformed files all read as nil, so callers fall back
/// instead of trusting odd content.
struct SysfsTree: Sendable {
    let root: URL

    init(root: String) {
        self.root = URL(fileURLWithPath: root, isDirectory: true)
    }

    var isLiveMachine: Bool { root.standardizedFileURL.path == "/" }

    /// The trimmed contents of `path` (relative to the root), or nil when absent or blank.
    func text(_ path: String) -> String? {
        guard let contents = try? String(contentsOf: url(path), encoding: .utf8) else { return nil }
        let trimmed = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    func cpuList(_ path: String) -> CPUSet? {
        text(path).flatMap { CPUSet(list: $0) }
    }

    func integer(_ path: String) -> Int? {
        text(path).flatMap { Int($0) }
    }

    /// The numbers N of the `<prefix>N` entries in folder `path`, ascending (`cpu0`, `node1`, `index3`).
    func numberedEntries(in path: String, prefix: String) -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url(path).path)) ?? []
        return names.compactMap { name in
            guard name.hasPrefix(prefix), let number = Int(name.dropFirst(prefix.count)), number >= 0 else { return nil }
            return number
        }.sorted()
    }

    private func url(_ path: String) -> URL {
        root.appendingPathComponent(path)
    }
}
