import LinuxSupport

/// What the machine's health says about encoding on it: CPU temperatures, frequency governors,
/// and folders on network file systems. Shown by `av1d topology` and at daemon start-up.
public struct MachineHealth: Sendable, Equatable {
    public let temperatures: [TemperatureReading]
    /// Governor name → CPUs, for the encoding CPUs.
    public let governors: [String: CPUSet]
    /// Things that cost speed, each with what to do about it.
    public let warnings: [String]
    /// Things that look wrong but are not, explained.
    public let notes: [String]

    /// - Parameter folders: config key and path of folders to check for network file systems.
    public static func read(sysfsRoot: String = "/", cpus: CPUSet,
                            folders: [(key: String, path: String)] = []) -> MachineHealth {
        let tree = SysfsTree(root: sysfsRoot)
        let frequency = CPUFrequency.read(tree, cpus: cpus)
        let network = folders.compactMap { FolderFileSystem.warning(key: $0.key, path: $0.path, sysfsRoot: sysfsRoot) }
        return MachineHealth(temperatures: CPUTemperature.read(tree), governors: frequency.governors,
                             warnings: frequency.warnings + network, notes: frequency.notes)
    }
}
