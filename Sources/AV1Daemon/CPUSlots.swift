import Foundation
import NativeEncode

/// The CPU sets concurrent jobs run on: each running job holds one, no two jobs share a CPU.
struct CPUSlots {
    private var free: [CPUSet]
    let count: Int

    init(config: DaemonConfig) {
        let usable = CPUAffinity.current()
        let jobs = switch config.maxConcurrentJobs {
        case .fixed(let count): count
        case .auto: max(usable.count / 8, 1)
        }
        free = Self.split(usable, into: jobs)
        count = free.count
    }

    /// Even contiguous shares; with more jobs than CPUs, CPUs are shared round-robin.
    static func split(_ usable: CPUSet, into jobs: Int) -> [CPUSet] {
        let cpus = usable.cpus
        guard jobs > 1, !cpus.isEmpty else { return [usable] }
        if jobs >= cpus.count { return (0..<jobs).map { CPUSet([cpus[$0 % cpus.count]]) } }
        return (0..<jobs).map { job in
            CPUSet(cpus[(job * cpus.count / jobs)..<((job + 1) * cpus.count / jobs)])
        }
    }

    mutating func take() -> CPUSet? { free.isEmpty ? nil : free.removeFirst() }
    mutating func give(back set: CPUSet) { free.append(set) }
    var available: Int { free.count }
    func describe() -> String { free.map(\.description).joined(separator: " | ") }
}
