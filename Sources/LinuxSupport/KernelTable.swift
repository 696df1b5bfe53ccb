import Foundation

/// The `Key:   123456 kB` lines of `/proc/meminfo` and `/proc/<pid>/status`, in bytes.
public struct KernelTable: Sendable {
    public let bytes: [String: Int64]

    public init(_ text: String) {
        var bytes: [String: Int64] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let fields = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2, fields[1] == "kB", let kibibytes = Int64(fields[0]) else { continue }
            bytes[String(line[..<colon])] = kibibytes * 1024
        }
        self.bytes = bytes
    }

    /// Nil when the file cannot be read (a process that is gone, a missing /proc).
    public init?(contentsOf path: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        self.init(text)
    }

    public subscript(key: String) -> Int64? { bytes[key] }
}

/// A process's memory, from /proc/<pid>/status (this process by default).
public enum ProcessMemory {
    /// Peak resident set size (VmHWM) in bytes.
    public static func peakRSS(pid: Int32? = nil) -> Int { field("VmHWM", pid: pid) }
    /// Current resident set size (VmRSS) in bytes; 0 once the process is gone.
    public static func currentRSS(pid: Int32? = nil) -> Int { field("VmRSS", pid: pid) }

    /// Current resident set size of a process and all its descendants together (a chunked
    /// encode's workers are processes of its own); 0 once it is gone. Shared pages (the
    /// libraries) count once per process: the sum errs high, as a memory limit should.
    public static func treeRSS(pid: Int32) -> Int {
        children(of: pid).reduce(currentRSS(pid: pid)) { $0 + treeRSS(pid: $1) }
    }

    /// The processes `pid`'s threads started, from /proc/PID/task/TID/children.
    public static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task -> [Int32] in
            let list = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)
            return list?.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? []
        }
    }

    private static func field(_ name: String, pid: Int32?) -> Int {
        let table = KernelTable(contentsOf: "/proc/\(pid.map(String.init) ?? "self")/status")
        return table?[name].map(Int.init) ?? 0
    }
}
