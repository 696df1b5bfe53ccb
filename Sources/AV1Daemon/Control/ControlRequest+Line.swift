import Foundation
import WorkerProtocol

/// Why a request line was refused, in words for the client.
struct ControlLineError: Error {
    let message: String
}

extension ControlRequest {
    /// Decodes and checks one request line.
    init(line: [UInt8]) throws(ControlLineError) {
        do {
            self = try JSONDecoder.av1d.decode(ControlRequest.self, from: Data(line))
        } catch let error as DecodingError {
            throw ControlLineError(message: "malformed request: " + Self.explain(error))
        } catch {
            throw ControlLineError(message: "malformed request: \(error)")
        }
        switch command {
        case .cancel where job?.isEmpty ?? true:
            throw ControlLineError(message: "cancel needs \"job\": the id of a running job")
        case .retry where path?.isEmpty ?? true:
            throw ControlLineError(message: "retry needs \"path\": the file to try again")
        default:
            break
        }
    }

    private static func explain(_ error: DecodingError) -> String {
        let key: String?
        switch error {
        case .keyNotFound(let missing, _): key = missing.stringValue
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            key = context.codingPath.first?.stringValue
        @unknown default: key = nil
        }
        switch key {
        case nil:
            return "not a JSON object; send one object per line, like {\"command\":\"status\"}"
        case "command":
            return "\"command\" must be one of \(Command.allCases.map(\.rawValue).joined(separator: ", "))"
        case let key?:
            return "\"\(key)\" must be a string"
        }
    }
}
