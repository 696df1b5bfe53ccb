import Foundation

// One JSON dialect for every record, message and report av1d writes or reads: snake_case keys,
// RFC 3339 dates, sorted keys (stable diffs), slashes unescaped (paths stay readable).

extension JSONEncoder {
    /// One line per value: worker messages, control responses.
    public static var av1d: JSONEncoder { av1d(pretty: false) }
    /// Indented: files people read (job records, `--json` reports).
    public static var av1dPretty: JSONEncoder { av1d(pretty: true) }

    private static func av1d(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension JSONDecoder {
    public static var av1d: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
