/// Memory pressure from the kernel's pressure stall information (PSI).
public struct PressureGauge: Sendable, Equatable {
    /// Percent of the last 10 seconds in which some task stalled waiting for memory.
    public let someAvg10: Double

    public init(someAvg10: Double) {
        self.someAvg10 = someAvg10
    }

    /// Reads the `some avg10=` figure of `proc/pressure/memory`; nil without PSI (file absent,
    /// as on kernels built without it) or when the line is malformed.
    public static func read(sysfsRoot: String = "/") -> PressureGauge? {
        let some = SysfsTree(root: sysfsRoot).text("proc/pressure/memory")?
            .split(separator: "\n")
            .first { $0.hasPrefix("some ") }
        let avg10 = some?.split(separator: " ").first { $0.hasPrefix("avg10=") }?.dropFirst("avg10=".count)
        return avg10.flatMap { Double($0) }.map(PressureGauge.init(someAvg10:))
    }
}
