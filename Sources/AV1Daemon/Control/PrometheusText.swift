/// Metrics in Prometheus' text exposition format, version 0.0.4: each family's HELP and TYPE
/// lines, then its samples.
struct PrometheusText {
    enum MetricType: String {
        case counter, gauge
    }

    struct Sample {
        let labels: [(name: String, value: String)]
        let value: Double

        init(_ value: Double, labels: [(name: String, value: String)] = []) {
            self.labels = labels
            self.value = value
        }
    }

    private(set) var text = ""

    mutating func add(_ name: String, _ type: MetricType, help: String, samples: [Sample]) {
        text += "# HELP \(name) \(Self.escaped(help, quotes: false))\n# TYPE \(name) \(type.rawValue)\n"
        for sample in samples {
            let labels = sample.labels.map { "\($0.name)=\"\(Self.escaped($0.value, quotes: true))\"" }
            text += name + (labels.isEmpty ? "" : "{\(labels.joined(separator: ","))}") + " \(Self.format(sample.value))\n"
        }
    }

    mutating func add(_ name: String, _ type: MetricType, help: String, value: Double) {
        add(name, type, help: help, samples: [Sample(value)])
    }

    private static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        // Whole numbers without a fraction, as exporters usually write counters.
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    private static func escaped(_ text: String, quotes: Bool) -> String {
        var result = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
        if quotes { result = result.replacingOccurrences(of: "\"", with: "\\\"") }
        return result
    }
}
