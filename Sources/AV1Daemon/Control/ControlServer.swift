import Foundation
import Synchronization
import LinuxSupport
import WorkerProtocol

/// The control socket: a Unix stream socket where root, the daemon's user and its group send
/// one JSON request per line and read one JSON response per line (see `ControlRequest`).
///
/// Each client is served on its own thread with send and receive timeouts, so a client that
/// stalls or vanishes holds up neither the daemon nor the other clients.
public final class ControlServer: Sendable {
    /// A request line may not be longer: the protocol's requests are tiny.
    static let maxRequestBytes = 64 * 1024
    /// A client that sends nothing for this long is disconnected (`av1d top` asks every second).
    static let idleTimeout: TimeInterval = 60
    /// A client that does not read its response within this long is disconnected.
    static let sendTimeout: TimeInterval = 5
    static let maxClients = 32

    public let path: String
    private let control: any DaemonControl
    private let log: DaemonLog
    private let policy = PeerPolicy.daemon
    private let listener = Mutex<Listening?>(nil)

    /// The socket file this server made, remembered so `stop()` removes that file and no other.
    private struct Listening: Sendable {
        let listener: SocketListener
        let device: dev_t
        let inode: ino_t
    }

    public init(path: String, control: any DaemonControl, log: DaemonLog) {
        self.path = path
        self.control = control
        self.log = log
    }

    /// Creates the socket file (mode 0660, the daemon's group) and starts serving. Throws when the
    /// path is unusable or another daemon answers on it.
    public func start() throws(EndpointError) {
        do {
            let address = try SocketAddress(unixPath: path)
            try removeStaleSocket(at: address)
            let socket = try Socket.listening(on: address)
            let file = try restrictSocketFile()
            let listener = SocketListener(socket: socket, name: "control socket", maxConnections: Self.maxClients, log: log)
            self.listener.withLock { $0 = Listening(listener: listener, device: file.st_dev, inode: file.st_ino) }
            listener.start { [self] in serve($0) }
        } catch {
            throw EndpointError("control socket \(path): \(error)")
        }
    }

    /// Stops accepting, disconnects the clients and removes the socket file.
    public func stop() {
        guard let listening = listener.withLock({ listening in defer { listening = nil }; return listening }) else { return }
        listening.listener.stop()
        var status = stat()
        if stat(path, &status) == 0, status.st_dev == listening.device, status.st_ino == listening.inode {
            unlink(path)
        }
    }

    /// A socket file left by a daemon that died is removed; one that still answers is not ours to take.
    private func removeStaleSocket(at address: SocketAddress) throws(SocketError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw SocketError(description: "exists and is not a socket", code: EEXIST)
        }
        if (try? Socket.connected(to: address, timeout: 1)) != nil {
            throw SocketError(description: "another process answers on it (is av1d already running?)", code: EADDRINUSE)
        }
        unlink(path)
    }

    /// bind() applied the umask; the mode and group are the access rule, so they are set exactly.
    /// Returns the file's status; on failure the file is removed.
    private func restrictSocketFile() throws(SocketError) -> stat {
        var status = stat()
        guard chmod(path, 0o660) == 0, chown(path, uid_t.max, getegid()) == 0, stat(path, &status) == 0 else {
            let failure = SocketError.system("setting the mode and group")
            unlink(path)
            throw failure
        }
        return status
    }

    private func serve(_ connection: Socket) {
        do {
            let peer = try PeerCredentials(of: connection)
            guard policy.admits(peer) else {
                log(.warning, "control socket: refused a client running as uid \(peer.uid), gid \(peer.gid)")
                try? connection.send(Self.encode(.failure("permission denied: only root, the daemon's user and its group may use this socket")))
                return
            }
            try connection.setTimeouts(receive: Self.idleTimeout, send: Self.sendTimeout)
            var reader = LineReader(socket: connection, maxLength: Self.maxRequestBytes)
            while let line = try reader.next() {
                if line.isEmpty { continue }
                try connection.send(Self.encode(respond(to: line)))
            }
        } catch where error.code == EMSGSIZE {
            try? connection.send(Self.encode(.failure("request longer than \(Self.maxRequestBytes) bytes")))
        } catch {
            // The client went away, stalled past a timeout, or we are stopping: nothing to tell it.
        }
    }

    private func respond(to line: [UInt8]) -> ControlResponse {
        let request: ControlRequest
        do { request = try ControlRequest(line: line) } catch { return .failure(error.message) }
        switch request.command {
        case .status: return ControlResponse(ok: true, snapshot: control.snapshot())
        case .pause, .resume, .cancel, .retry, .rescan: return control.perform(request)
        }
    }

    /// One response line.
    static func encode(_ response: ControlResponse) -> [UInt8] {
        let data = (try? JSONEncoder.av1d.encode(response)) ?? Data(#"{"error":"cannot encode the response","ok":false}"#.utf8)
        return Array(data) + [UInt8(ascii: "\n")]
    }
}
