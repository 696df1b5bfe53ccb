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
