import Foundation
import LinuxSupport
import WorkerProtocol

/// The little of HTTP/1.1 that the metrics endpoint needs: one exchange per connection
/// (`Connection: close`), bodies sized by Content-Length, no chunking.
enum HTTP {
    /// Request heads beyond this are refused: a scraper sends a few hundred bytes.
    static let maxHeadBytes = 8 * 1024

    /// The method and target of a request, having read its head (bodies are not read: the
    /// metrics endpoint takes none).
    static func readRequestHead(from reader: inout LineReader) throws(SocketError) -> (method: String, target: String)? {
        guard let requestLine = try reader.next() else { return nil }
        var headBytes = requestLine.count
        while let header = try reader.next(), !header.isEmpty {
            headBytes += header.count
            guard headBytes <= maxHeadBytes else { throw .system("read", EMSGSIZE) }
        }
        let parts = String(decoding: requestLine, as: UTF8.self).split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    static func response(status: Int, reason: String, contentType: String = "text/plain; charset=utf-8", body: String) -> [UInt8] {
        let bodyBytes = Array(body.utf8)
        let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bodyBytes.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + bodyBytes
    }
}
