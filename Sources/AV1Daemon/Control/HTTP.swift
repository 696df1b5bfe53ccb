import Foundation
import LinuxSupport
import WorkerProtocol

/// The little of HTTP/1.1 that the metrics endpoint and the webhook need: one exchange per
/// connection (`Connection: close`), bodies sized by Content-Length, no chunking, no TLS.
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

    /// The status code of a response's first line (`HTTP/1.1 204 No Content`).
    static func statusCode(of statusLine: [UInt8]) -> Int? {
        let parts = String(decoding: statusLine, as: UTF8.self).split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/") else { return nil }
        return Int(parts[1])
    }
}

/// An `http://` URL to POST JSON to, over a plain socket.
struct HTTPPost: Sendable {
    let host: String
    let port: UInt16
    /// Path and query: what the request line asks for.
    let target: String

    init(url text: String) throws(EndpointError) {
        guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
            throw EndpointError("\(text) is not a URL")
        }
        guard url.scheme?.lowercased() == "http" else {
            throw EndpointError("\(text): only http:// URLs are supported (for https, point av1d at a local relay)")
        }
        guard let port = UInt16(exactly: url.port ?? 80), port > 0 else { throw EndpointError("\(text): bad port") }
        // URLComponents may keep an IPv6 literal's brackets; getaddrinfo wants it bare.
        self.host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        self.port = port
        let query = url.percentEncodedQuery.map { "?" + $0 } ?? ""
        target = (url.percentEncodedPath.isEmpty ? "/" : url.percentEncodedPath) + query
    }

    /// Posts `body` and returns the response's status code; the whole exchange gives up after `timeout`.
    func send(json body: Data, timeout: TimeInterval) throws(SocketError) -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        func remaining() throws(SocketError) -> TimeInterval {
            let seconds = deadline.timeIntervalSinceNow
            guard seconds > 0 else { throw .system("webhook", ETIMEDOUT) }
            return seconds
        }
        guard let address = try SocketAddress.resolve(host: host, port: port).first else {
            throw SocketError(description: "\(host) has no address", code: nil)
        }
        let socket = try Socket.connected(to: address, timeout: try remaining())
        // IPv6 literals keep their brackets in the Host header.
        let hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let head = "POST \(target) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: av1d\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        try socket.setTimeouts(receive: try remaining(), send: try remaining())
        try socket.send(Array(head.utf8) + Array(body))
        try socket.setTimeouts(receive: try remaining(), send: try remaining())
        var reader = LineReader(socket: socket, maxLength: HTTP.maxHeadBytes)
        guard let statusLine = try reader.next(), let status = HTTP.statusCode(of: statusLine) else {
            throw SocketError(description: "no HTTP response", code: nil)
        }
        return status
    }
}
