import CLinuxShims
import Foundation

/// A failed socket call, with the errno when the system reported one.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public let code: Int32?

    public init(description: String, code: Int32?) {
        self.description = description
        self.code = code
    }

    public static func system(_ operation: String, _ code: Int32 = errno) -> SocketError {
        SocketError(description: "\(operation): \(String(cString: strerror(code)))", code: code)
    }

    /// A receive or send timeout (SO_RCVTIMEO/SO_SNDTIMEO) ran out.
    public var isTimeout: Bool { code == EAGAIN || code == EWOULDBLOCK || code == EINPROGRESS }
}

/// One stream socket, closed when the last reference goes. A class, so the thread serving a
/// connection and the one stopping a server can both reach it (`shutdown` wakes a blocked call).
public final class Socket: Sendable {
    public let fd: Int32

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    public convenience init(family: Int32, type: Int32 = Int32(SOCK_STREAM.rawValue)) throws(SocketError) {
        let fd = socket(family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system("socket") }
        self.init(fd: fd)
    }

    /// A socket connected to `address`, whose connect, sends and receives give up after `timeout`.
    public static func connected(to address: SocketAddress, timeout: TimeInterval) throws(SocketError) -> Socket {
        let socket = try Socket(family: address.family)
        // On Linux SO_SNDTIMEO bounds connect() too.
        try socket.setTimeouts(receive: timeout, send: timeout)
        let result = address.withSockaddr { connect(socket.fd, $0, $1) }
        guard result == 0 else { throw .system("connect") }
        return socket
    }

    /// A socket bound to `address` and listening.
    public static func listening(on address: SocketAddress, backlog: Int32 = 16) throws(SocketError) -> Socket {
        let socket = try Socket(family: address.family)
        if address.family != AF_UNIX {
            // A restarted daemon must not wait for the old connections' TIME_WAIT to end.
            var on: Int32 = 1
            setsockopt(socket.fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        guard address.withSockaddr({ bind(socket.fd, $0, $1) }) == 0 else { throw .system("bind") }
        guard listen(socket.fd, backlog) == 0 else { throw .system("listen") }
        return socket
    }

    /// The next connection; nil once the socket was shut down.
    public func accept() throws(SocketError) -> Socket? {
        while true {
            // Close-on-exec from the start: a worker spawned meanwhile must not inherit a client.
            let client = av1d_accept_cloexec(fd)
            if client >= 0 { return Socket(fd: client) }
            switch errno {
            case EINTR, ECONNABORTED: continue
            // Linux answers a shut-down listening socket with EINVAL.
            case EINVAL: return nil
            default: throw .system("accept")
            }
        }
    }

    public func setTimeouts(receive: TimeInterval, send: TimeInterval) throws(SocketError) {
        for (option, seconds) in [(SO_RCVTIMEO, receive), (SO_SNDTIMEO, send)] {
            let whole = max(seconds, 0.001)
            var value = timeval(tv_sec: Int(whole), tv_usec: Int((whole - whole.rounded(.down)) * 1_000_000))
            guard setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
                throw .system("setsockopt")
            }
        }
    }

    /// Up to `capacity` bytes; empty at the end of the stream.
    public func receive(upTo capacity: Int) throws(SocketError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: capacity)
        while true {
            let count = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress, capacity, 0) }
            if count >= 0 { return Array(bytes.prefix(count)) }
            if errno != EINTR { throw .system("receive") }
        }
    }

    public func send(_ bytes: some Collection<UInt8>) throws(SocketError) {
        let bytes = Array(bytes)
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a client that went away must not SIGPIPE the daemon.
            let count = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if count >= 0 {
                offset += count
            } else if errno != EINTR {
                throw .system("send")
            }
        }
    }

    /// Wakes any thread blocked on this socket; it then sees the end of the stream (or, when
    /// listening, `accept` returns nil).
    public func shutdown() {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }
}
