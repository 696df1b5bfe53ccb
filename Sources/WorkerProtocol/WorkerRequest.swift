import Foundation
import LinuxSupport
import NativeEncode

/// What the daemon asks of one `av1d worker` process, written as one JSON line on its stdin.
/// The worker answers with `WorkerMessage` lines on its stdout. Settings travel as the engine's
/// own `EncodeSettings`, never as command-line text to be parsed back.
public struct WorkerRequest: Codable, Sendable, Equatable {
    public enum Task: String, Codable, Sendable {
        /// Inspect the file: one `probed` (or `failed`) message.
        case probe
        /// Encode `input` to `output`, then verify the output: `progress`, `stage`, then `verified`,
        /// `nothing_to_do` or `failed`.
        case encode
    }

    public var task: Task
    public var input: String
    /// Where the encode is written (an encode only); replaced if it exists.
    public var output: String?
    /// The whole job's settings, CPU set and thread budget included (an encode only).
    public var settings: EncodeSettings?
    /// Predict the encode from samples first and skip it when the gate says so (an encode only);
    /// nil encodes without predicting.
    public var prediction: PredictionGate?
    /// Where a chunked encode keeps its finished chunks, so a later request for the same title
    /// (after a kill or a restart) continues from them (an encode only); nil keeps them only while it runs.
    public var workFolder: String?

    public static func probe(_ input: String) -> WorkerRequest {
        WorkerRequest(task: .probe, input: input, output: nil, settings: nil)
    }

    public static func encode(_ input: String, to output: String, settings: EncodeSettings,
                              prediction: PredictionGate? = nil, workFolder: String? = nil) -> WorkerRequest {
        WorkerRequest(task: .encode, input: input, output: output, settings: settings, prediction: prediction, workFolder: workFolder)
    }

    /// The worker's command line: the request itself comes on stdin.
    public static let arguments = ["worker"]

    public func line() throws -> Data {
        try JSONEncoder.av1d.encode(self) + Data("\n".utf8)
    }

    /// Decodes one request. A key the worker does not know is refused rather than ignored: a
    /// daemon and worker of different versions must not silently drop a setting.
    public static func parse(_ line: Data) throws(WorkerRequestError) -> WorkerRequest {
        let request: WorkerRequest
        do {
            request = try JSONDecoder.av1d.decode(WorkerRequest.self, from: line)
        } catch {
            throw WorkerRequestError(message: "malformed worker request: \(Self.explain(error))")
        }
        if request.task == .encode && (request.output == nil || request.settings == nil) {
            throw WorkerRequestError(message: "an encode request needs \"output\" and \"settings\"")
        }
        return request
    }

    public init(task: Task, input: String, output: String?, settings: EncodeSettings?, prediction: PredictionGate? = nil,
                workFolder: String? = nil) {
        self.workFolder = workFolder
        self.task = task
        self.input = input
        self.output = output
        self.settings = settings
        self.prediction = prediction
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case task, input, output, settings, prediction, workFolder
    }

    public init(from decoder: any Decoder) throws {
        try UnknownKeys.refuse(in: decoder, known: CodingKeys.allCases.map(\.stringValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        task = try container.decode(Task.self, forKey: .task)
        input = try container.decode(String.self, forKey: .input)
        output = try container.decodeIfPresent(String.self, forKey: .output)
        if container.contains(.settings) {
            // EncodeSettings' keys are its stored properties (synthesized Codable).
            let known = Mirror(reflecting: EncodeSettings()).children.compactMap(\.label)
            try UnknownKeys.refuse(in: try container.superDecoder(forKey: .settings), known: known)
        }
        settings = try container.decodeIfPresent(EncodeSettings.self, forKey: .settings)
        prediction = try container.decodeIfPresent(PredictionGate.self, forKey: .prediction)
        workFolder = try container.decodeIfPresent(String.self, forKey: .workFolder)
    }

    private static func explain(_ error: any Error) -> String {
        switch error {
        case let unknown as UnknownKeys: unknown.description
        case DecodingError.keyNotFound(let key, _): "\"\(key.stringValue)\" is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            context.codingPath.isEmpty ? "not a JSON object"
                : "\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\": \(context.debugDescription)"
        default: "\(error)"
        }
    }
}

/// Why a worker refused its request.
public struct WorkerRequestError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// Keys of a JSON object that no property claims.
struct UnknownKeys: Error, CustomStringConvertible {
    let keys: [String]
    let path: [String]

    var description: String {
        let place = path.isEmpty ? "" : " in \"\(path.joined(separator: "."))\""
        return "unknown " + (keys.count == 1 ? "field" : "fields") + " " + keys.map { "\"\($0)\"" }.joined(separator: ", ") + place
    }

    /// Throws when the object `decoder` holds has keys outside `known` (names as the decoder
    /// presents them, i.e. after its key strategy).
    static func refuse(in decoder: any Decoder, known: [String]) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let unknown = container.allKeys.map(\.stringValue).filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw UnknownKeys(keys: unknown.map(Self.snakeCase), path: decoder.codingPath.map(\.stringValue))
        }
    }

    /// The key as it was written on the wire (the decoder converted it from snake_case).
    private static func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { result, character in
            if character.isUppercase { result += "_" + character.lowercased() } else { result.append(character) }
        }
    }

    private struct AnyKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }
}
