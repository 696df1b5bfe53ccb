import Foundation

/// A JSON object whose keys come out in the order written. Foundation's encoder on Linux orders
/// keys by hash, or as text with `.sortedKeys` ("10" before "2"): reports keyed by job count,
/// and read by people, need their own order.
struct OrderedJSON {
    enum Value {
        case encoded(any Encodable)
        case object(OrderedJSON)
    }

    private var fields: [(key: String, value: Value)] = []

    mutating func add(_ key: String, _ value: some Encodable) {
        fields.append((key, .encoded(value)))
    }

    mutating func add(_ key: String, _ object: OrderedJSON) {
        fields.append((key, .object(object)))
    }

    /// Pretty-printed, two spaces per level like `JSONEncoder`'s `.prettyPrinted`.
    func text(indent: String = "") throws -> String {
        guard !fields.isEmpty else { return "{}" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let inner = indent + "  "
        let lines = try fields.map { key, value in
            let keyText = String(decoding: try encoder.encode(key), as: UTF8.self)
            let valueText = switch value {
            case .encoded(let encodable):
                String(decoding: try encoder.encode(encodable), as: UTF8.self)
                    .split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                    .map { $0.offset == 0 || $0.element.isEmpty ? String($0.element) : inner + $0.element }
                    .joined(separator: "\n")
            case .object(let object):
                try object.text(indent: inner)
            }
            return "\(inner)\(keyText) : \(valueText)"
        }
        return "{\n" + lines.joined(separator: ",\n") + "\n\(indent)}"
    }
}
