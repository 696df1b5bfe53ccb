import Foundation

/// systemd's notify protocol: READY=1 after start-up, STATUS= lines, WATCHDOG=1 keep-alives.
/// A no-op when not started by systemd.
public struct SystemdNotifier: Sendable {
    private let address: SocketAddress?
    /// Half the watchdog interval, when systemd asked for keep-alives.
    public let watchdogInterval: TimeInterval?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        address = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : try? SocketAddress(unixPath: $0) }
        watchdogInterval = environment["WATCHDOG_USEC"].flatMap(Double.init).map { $0 / 2_000_000 }
    }

    public func send(_ state: String) {
        guard let address, let socket = try? Socket(family: AF_UNIX, type: Int32(SOCK_DGRAM.rawValue)) else { return }
        let bytes = Array(state.utf8)
        _ = address.withSockaddr { sendto(socket.fd, bytes, bytes.count, Int32(MSG_NOSIGNAL), $0, $1) }
    }
}
