import Foundation
import LinuxSupport

/// Splits what a socket receives into lines, keeping whatever follows the last newline for the
/// next call. Serves the control protocol (JSON lines) and HTTP heads alike.
public struct LineReader {
    private let socket: Socket
    private let maxLength: Int
    private var buffer: [UInt8] = []
    private var atEnd = false

    public init(socket: Socket, maxLength: Int) {
        self.socket = socket
        self.maxLength = maxLength
    }

    /// The next line without its "\n" (or "\r\n"); at the end of the stream, what is left, then
    /// nil. A line longer than `maxLength` throws EMSGSIZE: the stream cannot be resynchronized.
    public mutating func next() throws(SocketError) -> [UInt8]? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                guard newline <= maxLength else { throw .system("read", EMSGSIZE) }
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return line
            }
            guard buffer.count <= maxLength else { throw .system("read", EMSGSIZE) }
            if atEnd {
                defer { buffer = [] }
                return buffer.isEmpty ? nil : buffer
            }
            let received = try socket.receive(upTo: 4096)
            if received.isEmpty { atEnd = true }
            buffer += received
        }
    }
}
