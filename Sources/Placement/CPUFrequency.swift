import LinuxSupport

/// The frequency governors and drivers of the encoding CPUs (`cpuN/cpufreq/scaling_governor` and
/// `scaling_driver`), and what to say about them. av1d never changes them; it prints the command
/// that would. Machines without cpufreq (most VMs) have none, which is not an error.
public struct CPUFrequency: Sendable {
    /// Governor name → the CPUs using it.
    public var governors: [String: CPUSet] {
        Dictionary(grouping: settings, by: \.governor).mapValues { CPUSet($0.flatMap(\.cpus.cpus)) }
    }

    /// CPUs that share a governor and a driver (nil when `scaling_driver` is unreadable), in CPU order.
    private let settings: [(governor: String, driver: String?, cpus: CPUSet)]
    /// Drivers whose own `status` file says they run in active mode (`amd_pstate/status`, `intel_pstate/status`).
    private let activeModeDrivers: Set<String>

    static func read(_ tree: SysfsTree, cpus: CPUSet) -> CPUFrequency {
        var settings: [(governor: String, driver: String?, cpus: [Int])] = []
        for cpu in cpus.cpus {
            let folder = "\(Topology.cpuFolder)/cpu\(cpu)/cpufreq"
            guard let governor = tree.text("\(folder)/scaling_governor") else { continue }
            let driver = tree.text("\(folder)/scaling_driver")
            if let index = settings.firstIndex(where: { $0.governor == governor && $0.driver == driver }) {
                settings[index].cpus.append(cpu)
            } else {
                settings.append((governor, driver, [cpu]))
            }
        }
        // intel_pstate names itself intel_cpufreq in passive mode and amd-pstate-epp is always active,
        // but the status files say it outright where the kernel has them.
        var active: Set<String> = ["intel_pstate", "amd-pstate-epp"]
        if tree.text("\(Topology.cpuFolder)/amd_pstate/status") == "active" { active.insert("amd-pstate") }
        if tree.text("\(Topology.cpuFolder)/intel_pstate/status") == "passive" { active.remove("intel_pstate") }
        return CPUFrequency(settings: settings.map { ($0.governor, $0.driver, CPUSet($0.cpus)) }, activeModeDrivers: active)
    }

    /// Drivers under which `schedutil` is the kernel's own good choice (CPPC-guided frequencies).
    private static let pstateDrivers: Set<String> = ["amd-pstate", "amd-pstate-epp", "intel_pstate", "intel_cpufreq"]

    /// One line per governor that costs speed: the tuning guide measured `performance` 10-20%
    /// faster than `powersave`/`ondemand`.
    public var warnings: [String] {
        advice.compactMap { $0.isWarning ? $0.text : nil }
    }

    /// One line per governor whose name misleads: `powersave` under a P-state driver in active mode
    /// is the normal setting there; the speed knob is the energy preference.
    public var notes: [String] {
        advice.compactMap { $0.isWarning ? nil : $0.text }
    }

    private var advice: [(isWarning: Bool, text: String)] {
        settings.compactMap { governor, driver, cpus in
            switch governor {
            case "performance":
                return nil
            case "schedutil" where driver.map(Self.pstateDrivers.contains) == true:
                return nil
            case "powersave" where driver.map(activeModeDrivers.contains) == true:
                return (false, "CPUs \(cpus) use powersave under \(driver!) in active mode, where that is the normal "
                    + "governor: the CPU picks its own frequencies. For encoding speed set the energy preference instead: "
                    + "echo performance | sudo tee /sys/devices/system/cpu/cpu*/cpufreq/energy_performance_preference")
            default:
                let by = driver.map { " (driver \($0))" } ?? ""
                return (true, "CPUs \(cpus) use the \(governor) governor\(by): encoding runs 10-20% slower than on "
                    + "performance. To change it: sudo cpupower -c \(cpus) frequency-set -g performance")
            }
        }
    }
}
