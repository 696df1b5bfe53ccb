import Foundation
import LinuxSupport

/// Why the daemon could not be asked.
public enum ControlClientError: Error, CustomStringConvertible, Sendable {
    /// Nothing listens at the path: the daemon is not running, or uses another socket.
    case notRunning(path: String)
    /// The socket exists but this user may not use it (not root, nor in the daemon's group).
    case permissionDenied(path: String)
    /// The connection failed, timed out or broke mid-request.
    case connection(String)
    /// The daemon answered with something that is not a response.
    case badResponse(String)

    public var description: String {
        switch self {
        case .notRunning(let path): "av1d is not running (nothing answers on \(path))"
        case .permissionDenied(let path): "permission denied on \(path): join the daemon's group or use sudo"
        case .connection(let message): message
        case .badResponse(let message): "unexpected answer from the daemon: \(message)"
        }
    }

    static func broken(_ error: SocketError, path: String) -> ControlClientError {
        .connection("\(path): " + (error.isTimeout ? "the daemon did not answer in time" : error.description))
    }
}

/// Asks the daemon over its control socket, one connection per request.
public struct ControlClient: Sendable {
    public let path: String
    /// Seconds the connect, the send and the wait for the answer may each take.
    public let timeout: TimeInterval

    public init(path: String, timeout: TimeInterval = 5) {
        self.path = path
        self.timeout = timeout
    }

    public func send(_ request: ControlRequest) throws(ControlClientError) -> ControlResponse {
        try connect().send(request)
    }

    /// A connection for several requests in a row.
    public func connect() throws(ControlClientError) -> ControlConnection {
        do {
            return ControlConnection(socket: try Socket.connected(to: try SocketAddress(unixPath: path), timeout: timeout), path: path)
        } catch {
            switch error.code {
            case ENOENT, ECONNREFUSED: throw .notRunning(path: path)
            case EACCES, EPERM: throw .permissionDenied(path: path)
            default: throw .broken(error, path: path)
            }
        }
    }
}

/// One open connection to the control socket.
public final class ControlConnection {
    private let socket: Socket
    private let path: String
    private var reader: LineReader

    init(socket: Socket, path: String) {
        self.socket = socket
        self.path = path
        reader = LineReader(socket: socket, maxLength: 64 * 1024 * 1024)
    }

    public func send(_ request: ControlRequest) throws(ControlClientError) -> ControlResponse {
        let line: String
        do { line = String(decoding: try JSONEncoder.av1d.encode(request), as: UTF8.self) } catch {
            throw .badResponse("cannot encode the request: \(error)")
        }
        let answer = try exchange(line)
        do { return try JSONDecoder.av1d.decode(ControlResponse.self, from: Data(answer.utf8)) } catch {
            throw .badResponse(String(answer.prefix(200)))
        }
    }

    /// Sends one raw line and returns the raw answer line, for tools and tests that speak the
    /// protocol themselves.
    public func exchange(_ line: String) throws(ControlClientError) -> String {
        // A refused client is told why as it connects, and the server hangs up without reading:
        // the send may fail while the answer waits to be read.
        var sendFailure: SocketError?
        do { try socket.send(Array((line + "\n").utf8)) } catch { sendFailure = error }
        let answer: [UInt8]?
        do { answer = try reader.next() } catch { throw .broken(sendFailure ?? error, path: path) }
        guard let answer else {
            throw sendFailure.map { .broken($0, path: path) } ?? .connection("\(path): the daemon closed the connection")
        }
        return String(decoding: answer, as: UTF8.self)
    }
}
