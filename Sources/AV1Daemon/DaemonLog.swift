import Foundation

/// One line per event on stderr, journald-friendly: the level, then `job=` and `file=` when
/// the event concerns one, then the message. Tests pass their own sink.
public struct DaemonLog: Sendable {
    public enum Level: String, Sendable { case info, warning, error }

    private let sink: @Sendable (String) -> Void

    public init(sink: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.sink = sink
    }

    public func callAsFunction(_ level: Level, _ message: String, job: String? = nil, file: String? = nil) {
        var line = "<\(Self.priority(level))>\(level.rawValue):"
        if let job { line += " job=\(job)" }
        if let file { line += " file=\(Self.quoted(file))" }
        sink(line + " " + message)
    }

    /// sd-daemon priority prefixes: journald files each line at its level.
    private static func priority(_ level: Level) -> Int {
        switch level {
        case .info: 6
        case .warning: 4
        case .error: 3
        }
    }

    private static func quoted(_ path: String) -> String {
        path.contains(" ") || path.contains("\"") ? "\"\(path.replacingOccurrences(of: "\"", with: "\\\""))\"" : path
    }
}

/// systemd's notify protocol: READY=1 after start-up, STATUS= lines, WATCHDOG=1 keep-alives.
/// A no-op when not started by systemd.
public struct SystemdNotifier: Sendable {
    private let socketPath: String?
    /// Half the watchdog interval, when systemd asked for keep-alives.
    public let watchdogInterval: TimeInterval?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"]
        watchdogInterval = environment["WATCHDOG_USEC"].flatMap(Double.init).map { $0 / 2_000_000 }
    }

    public func send(_ state: String) {
        guard let socketPath, !socketPath.isEmpty else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(socketPath.utf8)
        // An '@' prefix names Linux's abstract namespace, spelled with a leading NUL byte.
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        _ = state.withCString { text in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, text, strlen(text), 0, $0, length) }
            }
        }
    }
}
