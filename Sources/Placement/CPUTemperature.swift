/// One CPU temperature sensor reading from hwmon.
public struct TemperatureReading: Sendable, Equatable, Codable {
    /// The hwmon driver: `k10temp` (AMD) or `coretemp` (Intel).
    public let sensor: String
    /// `Tctl`, `Tccd1`, `Package id 0`...; `tempN` when the sensor names none.
    public let label: String
    public let celsius: Double

    public init(sensor: String, label: String, celsius: Double) {
        self.sensor = sensor
        self.label = label
        self.celsius = celsius
    }

    public var description: String { "\(sensor) \(label) \(Self.format(celsius))" }

    /// "91.0°C".
    public static func format(_ celsius: Double) -> String {
        "\((celsius * 10).rounded() / 10)°C"
    }
}

/// The CPU package temperatures: `sys/class/hwmon/hwmon*/` whose `name` is `k10temp` (every
/// `temp*_input`: Tctl, Tdie, Tccd*) or `coretemp` (the `Package id*` inputs; per-core inputs are
/// never hotter than their package). Values are millidegrees Celsius. Machines without these
/// sensors (most VMs) have none, which is not an error.
public enum CPUTemperature {
    static let sensors: Set<String> = ["k10temp", "coretemp"]

    public static func read(sysfsRoot: String = "/") -> [TemperatureReading] {
        read(SysfsTree(root: sysfsRoot))
    }

    static func read(_ tree: SysfsTree) -> [TemperatureReading] {
        let folder = "sys/class/hwmon"
        return tree.numberedEntries(in: folder, prefix: "hwmon").flatMap { index -> [TemperatureReading] in
            let device = "\(folder)/hwmon\(index)"
            guard let sensor = tree.text("\(device)/name"), sensors.contains(sensor) else { return [] }
            let inputs = tree.entries(in: device).compactMap { name -> Int? in
                guard name.hasPrefix("temp"), name.hasSuffix("_input") else { return nil }
                return Int(name.dropFirst(4).dropLast(6))
            }.sorted()
            return inputs.compactMap { input -> TemperatureReading? in
                guard let millidegrees = tree.integer("\(device)/temp\(input)_input") else { return nil }
                let label = tree.text("\(device)/temp\(input)_label") ?? "temp\(input)"
                if sensor == "coretemp" && !label.hasPrefix("Package") { return nil }
                return TemperatureReading(sensor: sensor, label: label, celsius: Double(millidegrees) / 1000)
            }
        }
    }

    /// The hottest reading, which is what admission watches.
    public static func hottest(_ readings: [TemperatureReading]) -> TemperatureReading? {
        readings.max { $0.celsius < $1.celsius }
    }
}

/// Stops new jobs while the CPU is above `thermal_limit_c`; admits again only once it is below
/// the limit minus `hysteresis`, so a CPU hovering at the limit does not start and stop admission
/// every second. Running jobs are never touched.
public struct ThermalGate: Sendable, Equatable {
    public static let defaultLimit = 85.0
    public static let hysteresis = 5.0

    /// Degrees Celsius; 0 turns the gate off.
    public let limit: Double
    /// The reading that closed the gate, while it is closed.
    public private(set) var closedBy: TemperatureReading?

    public init(limit: Double) {
        self.limit = limit
    }

    public enum Change: Sendable, Equatable {
        /// Too hot: no new job starts. The reading that crossed the limit.
        case paused(TemperatureReading)
        /// Cool again: jobs start again.
        case resumed(TemperatureReading?)
    }

    public var isClosed: Bool { closedBy != nil }

    /// Feeds the latest readings; returns a change only when the gate opens or closes, so callers
    /// log once per episode. Without readings (no sensors) the gate opens.
    public mutating func update(_ readings: [TemperatureReading]) -> Change? {
        let hottest = CPUTemperature.hottest(readings)
        guard limit > 0, let hottest else {
            defer { closedBy = nil }
            return closedBy == nil ? nil : .resumed(hottest)
        }
        if closedBy == nil, hottest.celsius > limit {
            closedBy = hottest
            return .paused(hottest)
        }
        if closedBy != nil {
            guard hottest.celsius < limit - Self.hysteresis else { return nil }
            closedBy = nil
            return .resumed(hottest)
        }
        return nil
    }

    /// Why no job starts, for status, top and the journal.
    public var reason: String? {
        closedBy.map { reading in
            "CPU at \(TemperatureReading.format(reading.celsius)) (\(reading.sensor) \(reading.label)), above "
                + "thermal_limit_c \(Self.number(limit)): no new job starts until below \(Self.number(limit - Self.hysteresis))°C"
        }
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
