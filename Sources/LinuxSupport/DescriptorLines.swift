import Glibc

/// Splits what a file descriptor (a pipe) delivers into lines, keeping whatever follows the last
/// newline for the next call. Serves the worker and chunk worker pipes, both ways.
public struct DescriptorLines {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var atEnd = false

    public init(_ descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// The next line without its "\n"; at the end of the stream (or a read error), what is left,
    /// then nil.
    public mutating func next() -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            if atEnd {
                defer { buffer = [] }
                return buffer.isEmpty ? nil : buffer
            }
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { atEnd = true } else { buffer += chunk[..<count] }
        }
    }
}
