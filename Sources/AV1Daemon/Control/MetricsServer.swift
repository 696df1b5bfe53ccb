import Foundation
import Synchronization
import LinuxSupport
import WorkerProtocol

/// Prometheus metrics over HTTP: `GET /metrics` answers the current snapshot, anything else 404.
/// It listens on loopback only unless allowed otherwise: the page describes the library's work.
public final class MetricsServer: Sendable {
    static let timeout: TimeInterval = 5
    static let maxConnections = 8

    public let listen: String
    private let allowNonLoopback: Bool
    private let control: any DaemonControl
    private let log: DaemonLog
    private let listener = Mutex<SocketListener?>(nil)

    /// - Parameters:
    ///   - listen: `host:port` (`127.0.0.1:9464`, `[::1]:9464`, `localhost:9464`); a bare port means 127.0.0.1.
    ///   - allowNonLoopback: bind to an address other machines can reach; without it `start()` refuses one.
    public init(listen: String, allowNonLoopback: Bool = false, control: any DaemonControl, log: DaemonLog = DaemonLog()) {
        self.listen = listen
        self.allowNonLoopback = allowNonLoopback
        self.control = control
        self.log = log
    }

    public func start() throws(EndpointError) {
        guard let hostPort = HostPort(listen) else {
            throw EndpointError("metrics_listen \"\(listen)\": expected host:port, like 127.0.0.1:9464")
        }
        let socket: Socket
        do {
            guard let address = try SocketAddress.resolve(host: hostPort.host, port: hostPort.port).first else {
                throw SocketError(description: "\(hostPort.host) has no address", code: nil)
            }
            guard address.isLoopback || allowNonLoopback else {
                throw SocketError(description: "not a loopback address; metrics stay on this machine", code: nil)
            }
            socket = try Socket.listening(on: address)
        } catch {
            throw EndpointError("metrics_listen \"\(listen)\": \(error)")
        }
        let listener = SocketListener(socket: socket, name: "metrics", maxConnections: Self.maxConnections, log: log)
        self.listener.withLock { $0 = listener }
        listener.start { [self] in serve($0) }
    }

    public func stop() {
        listener.withLock { listener in defer { listener = nil }; return listener }?.stop()
    }

    private func serve(_ connection: Socket) {
        do {
            try connection.setTimeouts(receive: Self.timeout, send: Self.timeout)
            var reader = LineReader(socket: connection, maxLength: HTTP.maxHeadBytes)
            guard let request = try HTTP.readRequestHead(from: &reader) else {
                return try connection.send(HTTP.response(status: 400, reason: "Bad Request", body: "bad request\n"))
            }
            let path = request.target.prefix { $0 != "?" }
            guard request.method == "GET", path == "/metrics" else {
                return try connection.send(HTTP.response(status: 404, reason: "Not Found", body: "metrics are at /metrics\n"))
            }
            let page = MetricsPage.render(control.snapshot())
            try connection.send(HTTP.response(status: 200, reason: "OK", contentType: "text/plain; version=0.0.4; charset=utf-8", body: page))
        } catch {
            // A scraper that went away or stalled: nothing to answer.
        }
    }
}
