import Foundation
import LinuxSupport

/// Reads kernel files of a machine: this one, or a copied tree in tests. Paths are written as under
/// `/` (`sys/devices/...`, `proc/meminfo`); `sys/` paths go to the sysfs folder and `proc/` paths to
/// the proc folder beside it, when there is one. Missing, unreadable, empty or malformed files all
/// read as nil, so callers fall back instead of trusting odd content.
struct SysfsTree: Sendable {
    /// The folder read as `/sys`.
    let sys: URL
    /// The folder read as `/proc`; nil when the tree has none (a bare copy of `/sys`).
    let proc: URL?

    /// `root` is read as `/sys` when it holds `devices/system/cpu` (a copy of `/sys`, or `/sys`
    /// itself); otherwise as a folder holding `sys/` and `proc/` (`/`, or the fixtures). A `/sys`
    /// copy's proc folder is the `proc` beside it, if any: `/sys` finds `/proc`.
    init(root: String) {
        let folder = URL(fileURLWithPath: root, isDirectory: true).standardizedFileURL
        if Self.isFolder(folder.appendingPathComponent(Self.cpuMarker)) {
            sys = folder
            let beside = folder.deletingLastPathComponent().appendingPathComponent("proc", isDirectory: true)
            proc = Self.isFolder(beside) ? beside : nil
        } else {
            sys = folder.appendingPathComponent("sys", isDirectory: true)
            proc = folder.appendingPathComponent("proc", isDirectory: true)
        }
    }

    /// What marks a folder laid out like `/sys`.
    private static let cpuMarker = "devices/system/cpu"

    var isLiveMachine: Bool { sys.path == "/sys" }

    /// The trimmed contents of `path` (relative to `/`), or nil when absent or blank.
    func text(_ path: String) -> String? {
        guard let url = url(path), let contents = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        let trimmed = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    func cpuList(_ path: String) -> CPUSet? {
        text(path).flatMap { CPUSet(list: $0) }
    }

    func integer(_ path: String) -> Int? {
        text(path).flatMap { Int($0) }
    }

    /// The names in folder `path`, sorted; empty when it cannot be listed.
    func entries(in path: String) -> [String] {
        guard let url = url(path) else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }

    /// The numbers N of the `<prefix>N` entries in folder `path`, ascending (`cpu0`, `node1`, `index3`).
    func numberedEntries(in path: String, prefix: String) -> [Int] {
        entries(in: path).compactMap { name in
            guard name.hasPrefix(prefix), let number = Int(name.dropFirst(prefix.count)), number >= 0 else { return nil }
            return number
        }.sorted()
    }

    func isFolder(_ path: String) -> Bool {
        url(path).map(Self.isFolder) ?? false
    }

    /// Where `path` lives on disk; nil for a `proc/` path in a tree without proc.
    func url(_ path: String) -> URL? {
        if path.hasPrefix("sys/") { return sys.appendingPathComponent(String(path.dropFirst(4))) }
        if path.hasPrefix("proc/") { return proc?.appendingPathComponent(String(path.dropFirst(5))) }
        return nil
    }

    private static func isFolder(_ url: URL) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue
    }
}
