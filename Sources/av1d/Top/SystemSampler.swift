import Foundation
import Placement
import LinuxSupport

/// What the machine is doing, for the top of the screen: CPU use per core, memory, pressure.
struct SystemSample {
    /// Busy share (0-1) of each CPU since the previous sample.
    var cpuUsage: [Int: Double] = [:]
    var memoryTotal: Int64?
    var memoryAvailable: Int64?
    /// PSI memory `some avg10`, percent.
    var memoryPressure: Double?
}

/// Samples /proc every refresh. CPU use is the change in /proc/stat's counters between samples.
struct SystemSampler {
    /// The screen groups cores by L3 domain (CCD).
    let topology: Topology
    private var previousTimes: [Int: CPUTimes] = [:]

    private struct CPUTimes {
        let busy: UInt64
        let total: UInt64
    }

    init() throws {
        // All online CPUs, not just ours: the view is of the machine.
        topology = try Topology.read(affinity: .allOnline)
    }

    mutating func sample() -> SystemSample {
        var sample = SystemSample()
        let times = Self.readCPUTimes()
        for (cpu, now) in times {
            guard let before = previousTimes[cpu], now.total > before.total else { continue }
            sample.cpuUsage[cpu] = Double(now.busy - min(now.busy, before.busy)) / Double(now.total - before.total)
        }
        previousTimes = times
        let memory = Self.readMemInfo()
        sample.memoryTotal = memory["MemTotal"]
        sample.memoryAvailable = memory["MemAvailable"]
        sample.memoryPressure = PressureGauge.read()?.someAvg10
        return sample
    }

    /// `cpuN user nice system idle iowait irq softirq steal ...` lines; idle and iowait are not busy.
    private static func readCPUTimes() -> [Int: CPUTimes] {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return [:] }
        var times: [Int: CPUTimes] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("cpu") {
            let fields = line.split(separator: " ")
            guard let cpu = Int(fields[0].dropFirst(3)) else { continue }
            let counters = fields.dropFirst().prefix(8).compactMap { UInt64($0) }
            guard counters.count == 8 else { continue }
            let total = counters.reduce(0, +)
            times[cpu] = CPUTimes(busy: total - counters[3] - counters[4], total: total)
        }
        return times
    }

    /// `Key:   123456 kB` lines of /proc/meminfo, in bytes.
    private static func readMemInfo() -> [String: Int64] {
        KernelTable(contentsOf: "/proc/meminfo")?.bytes ?? [:]
    }
}
