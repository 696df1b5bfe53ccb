/// Whether a title is split into chunks encoded side by side, each by its own encoder on its own
/// CPUs (`--chunks`, config `chunked`). In JSON: "auto", "off" or a worker count.
public enum ChunkMode: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Split titles of at least `ChunkRule.autoMinimumSeconds`: one worker per L3 cache (one CCD
    /// each on AMD) of the job's CPUs, or one on all of them for the resume (see `ChunkRule`).
    case auto
    /// One encoder for the whole title.
    case off
    /// This many chunk workers, each on an equal slice of the job's CPUs.
    case workers(Int)

    /// "auto", "off" or a positive count; nil otherwise.
    public init?(_ text: String) {
        switch text.lowercased() {
        case "auto": self = .auto
        case "off": self = .off
        default:
            guard let count = Int(text), count >= 1 else { return nil }
            self = .workers(count)
        }
    }

    public var description: String {
        switch self {
        case .auto: "auto"
        case .off: "off"
        case .workers(let count): "\(count)"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let count = try? container.decode(Int.self), let mode = ChunkMode("\(count)") {
            self = mode
        } else if let text = try? container.decode(String.self), let mode = ChunkMode(text) {
            self = mode
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected \"auto\", \"off\" or a worker count of at least 1")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .workers(let count): try container.encode(count)
        default: try container.encode(description)
        }
    }
}
