import Foundation
import Synchronization
import LinuxSupport

/// Accepts connections on a listening socket and serves each on a thread of its own, so a slow
/// or silent client holds up nobody else. Connections beyond `maxConnections` are closed at once.
final class SocketListener: Sendable {
    private struct State {
        var stopped = false
        /// Open connections by file descriptor, shut down on `stop()` so their threads end.
        var connections: [Int32: Socket] = [:]
    }

    private let socket: Socket
    /// What the log calls this listener.
    private let name: String
    private let maxConnections: Int
    private let log: DaemonLog
    private let state = Mutex(State())

    init(socket: Socket, name: String, maxConnections: Int, log: DaemonLog) {
        self.socket = socket
        self.name = name
        self.maxConnections = maxConnections
        self.log = log
    }

    /// Starts the accept loop; `serve` runs on the connection's own thread. The loop, and so this
    /// listener, lives until `stop()`.
    func start(serve: @escaping @Sendable (Socket) -> Void) {
        let thread = Thread { [self] in acceptLoop(serve: serve) }
        thread.name = "av1d " + name
        thread.start()
    }

    func stop() {
        let connections = state.withLock { state in
            state.stopped = true
            return Array(state.connections.values)
        }
        socket.shutdown()
        connections.forEach { $0.shutdown() }
    }

    private func acceptLoop(serve: @escaping @Sendable (Socket) -> Void) {
        // Logged once until accepting works again, not ten times a second.
        var lastFailure: String?
        while true {
            let connection: Socket
            do {
                guard let accepted = try socket.accept() else { return }
                connection = accepted
                lastFailure = nil
            } catch {
                if state.withLock({ $0.stopped }) { return }
                if error.description != lastFailure { log(.warning, "\(name): \(error)") }
                lastFailure = error.description
                // Out of descriptors, most likely: give the open connections time to end.
                Thread.sleep(forTimeInterval: 0.1)
                continue
            }
            let admitted = state.withLock { state in
                guard !state.stopped, state.connections.count < maxConnections else { return false }
                state.connections[connection.fd] = connection
                return true
            }
            guard admitted else { continue }
            Thread.detachNewThread { [self] in
                serve(connection)
                state.withLock { _ = $0.connections.removeValue(forKey: connection.fd) }
            }
        }
    }
}
