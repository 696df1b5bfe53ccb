import CLinuxShims
import Foundation

/// A set of CPU numbers, written the kernel's way: `0-7,16-23`.
public struct CPUSet: Sendable, Equatable, Hashable, CustomStringConvertible, Codable {
    public let cpus: [Int]

    public init<S: Sequence>(_ cpus: S) where S.Element == Int {
        self.cpus = Array(Set(cpus)).sorted()
    }

    /// Parses a kernel CPU list (`0-3,8,10-11`); nil if malformed or empty.
    public init?(list: String) {
        var result: [Int] = []
        let trimmed = list.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count),
                  let low = Int(bounds[0].trimmingCharacters(in: .whitespaces)), low >= 0 else { return nil }
            let high = bounds.count == 2 ? Int(bounds[1].trimmingCharacters(in: .whitespaces)) : low
            guard let high, high >= low, high < 65536 else { return nil }
            result.append(contentsOf: low...high)
        }
        self.init(result)
    }

    public var count: Int { cpus.count }
    public var isEmpty: Bool { cpus.isEmpty }

    /// The compact kernel form: consecutive runs folded into ranges.
    public var description: String {
        var parts: [String] = []
        var index = 0
        while index < cpus.count {
            var end = index
            while end + 1 < cpus.count && cpus[end + 1] == cpus[end] + 1 { end += 1 }
            parts.append(end == index ? "\(cpus[index])" : "\(cpus[index])-\(cpus[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = CPUSet(list: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad CPU list \(text)"))
        }
        self = parsed
    }
}

/// Thread placement through `sched_setaffinity`.
public enum CPUAffinity {
    /// The CPUs the calling thread may run on.
    public static func current() -> CPUSet {
        var buffer = [Int32](repeating: 0, count: 8192)
        let count = av1d_get_thread_affinity(0, &buffer, Int32(buffer.count))
        return count > 0 ? CPUSet(buffer.prefix(Int(count)).map(Int.init)) : CPUSet([])
    }

    /// The CPUs thread `tid` may run on, or nil if it is gone.
    public static func of(thread tid: Int32) -> CPUSet? {
        var buffer = [Int32](repeating: 0, count: 8192)
        let count = av1d_get_thread_affinity(tid, &buffer, Int32(buffer.count))
        return count >= 0 ? CPUSet(buffer.prefix(Int(count)).map(Int.init)) : nil
    }

    /// Confines the calling thread to `set`. Threads it creates afterwards (an encoder's, a
    /// decoder's) inherit the mask, so one chunk worker and everything it starts stay inside.
    public static func confineThread(to set: CPUSet) throws(SystemError) {
        let cpus = set.cpus.map(Int32.init)
        if av1d_set_thread_affinity(0, cpus, Int32(cpus.count)) != 0 {
            throw SystemError("run on CPUs \(set)")
        }
    }

    /// Confines every thread of this process to `set`. Threads created later inherit the mask
    /// of their creator, so encoder and decoder threads started afterwards stay inside too.
    public static func confineProcess(to set: CPUSet) throws(SystemError) {
        let cpus = set.cpus.map(Int32.init)
        // The calling thread first: if the set is unusable, nothing else has changed.
        if av1d_set_thread_affinity(0, cpus, Int32(cpus.count)) != 0 {
            throw SystemError("run on CPUs \(set)")
        }
        confineThreads(of: "self", to: cpus)
    }

    /// Moves every thread of process `pid` (one of ours) onto `set`; threads it creates later
    /// inherit the mask of their creator. A thread that ends meanwhile is no matter.
    public static func confine(process pid: Int32, to set: CPUSet) {
        confineThreads(of: "\(pid)", to: set.cpus.map(Int32.init))
    }

    private static func confineThreads(of process: String, to cpus: [Int32]) {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process)/task")) ?? []
        for tid in tasks.compactMap({ Int32($0) }) {
            _ = av1d_set_thread_affinity(tid, cpus, Int32(cpus.count))
        }
    }
}
