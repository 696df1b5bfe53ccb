@testable import AV1Daemon
import Foundation
import Synchronization
import Testing
import LinuxSupport
import WorkerProtocol

@Suite("Webhook")
struct WebhookTests {
    static let job = DaemonSnapshot.FinishedJob(id: "job-42", sourcePath: "/media/movies/Sintel.mkv", status: "failed",
                                                 reason: "the source does not decode", originalBytes: 1 << 30, newBytes: nil,
                                                 finishedAt: Date(timeIntervalSince1970: 1_700_000_000))

    @Test("a failed job is POSTed as JSON to the URL")
    func delivers() throws {
        let receiver = try HookReceiver(answer: "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        let webhook = try Webhook(url: "http://127.0.0.1:\(receiver.port)/hooks/av1d?token=abc", log: DaemonLog { _ in })
        webhook.notify(event: .failed, job: Self.job)
        let request = try #require(receiver.next(timeout: 5))
        #expect(request.head.hasPrefix("POST /hooks/av1d?token=abc HTTP/1.1\r\n"))
        #expect(request.head.lowercased().contains("content-type: application/json"))
        let body = try #require(JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
        #expect(body["event"] as? String == "failed")
        let job = try #require(body["job"] as? [String: Any])
        #expect(job["id"] as? String == "job-42")
        #expect(job["source_path"] as? String == "/media/movies/Sintel.mkv")
        #expect(job["reason"] as? String == "the source does not decode")
    }

    @Test("notify never waits, even when the endpoint does not answer")
    func neverBlocks() throws {
        // Accepts and never answers: each delivery would wait for its timeout.
        let receiver = try HookReceiver(answer: nil)
        let webhook = try Webhook(url: "http://127.0.0.1:\(receiver.port)/", log: DaemonLog { _ in })
        let start = Date()
        for index in 0..<500 {
            webhook.notify(event: .finished, job: DaemonSnapshot.FinishedJob(
                id: "job-\(index)", sourcePath: "/media/\(index).mkv", status: "success", reason: nil,
                originalBytes: 100, newBytes: 50, finishedAt: nil))
        }
        #expect(Date().timeIntervalSince(start) < 0.5)
        #expect(receiver.next(timeout: 5) != nil, "the first one is on its way")
    }

    @Test("only http:// and https:// URLs are accepted", arguments: ["ftp://example.org/", "not a url", "http://", "file:///tmp/x"])
    func refusedURLs(url: String) {
        #expect(throws: EndpointError.self) { try Webhook(url: url, log: DaemonLog { _ in }) }
        #expect(throws: Never.self) { try Webhook(url: "https://example.org/hook?token=t", log: DaemonLog { _ in }) }
    }

    @Test("https speaks TLS: a server with an untrusted certificate is refused and the failure logged, host only")
    func httpsUntrusted() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("av1d-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let made = try run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                                               "-keyout", folder + "/key.pem", "-out", folder + "/cert.pem"])
        #expect(made.status == 0, "\(made.output)")
        // A TLS server (python's ssl module) that would answer 204 to anyone who trusted it.
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-c", """
            import http.server, ssl, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    self.send_response(204); self.end_headers()
            s = http.server.HTTPServer(("127.0.0.1", 0), H)
            c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain("\(folder)/cert.pem", "\(folder)/key.pem")
            s.socket = c.wrap_socket(s.socket, server_side=True)
            print(s.server_port, flush=True)
            s.serve_forever()
            """]
        let portPipe = Pipe()
        server.standardOutput = portPipe
        try server.run()
        defer {
            // SIGKILL: the server may inherit a mask that blocks SIGTERM, and a server left running
            // would hold the test runner's output open.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        let portLine = String(decoding: portPipe.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(Int(portLine.trimmingCharacters(in: .whitespacesAndNewlines)), "server said \(portLine)")
        let lines = LogLines()
        let webhook = try Webhook(url: "https://127.0.0.1:\(port)/hook?token=secret", log: DaemonLog(sink: lines.append))
        webhook.notify(event: .finished, job: Self.job)
        let deadline = Date().addingTimeInterval(15)
        while lines.all.isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let line = try #require(lines.all.first, "a failed delivery is logged")
        #expect(line.contains("webhook to 127.0.0.1:\(port)"), "\(line)")
        #expect(!line.contains("secret"), "the URL's token stays out of the log: \(line)")
        #expect(line.lowercased().contains("certificate") || line.lowercased().contains("ssl") || line.lowercased().contains("secure"), "\(line)")
    }
}

/// A one-request-at-a-time HTTP listener on 127.0.0.1 that records what it receives and
/// answers with `answer` (or never answers, when nil).
final class HookReceiver: Sendable {
    struct Request: Sendable {
        let head: String
        let body: String
    }

    /// What arrived; a class of its own so the listening thread can hold it.
    private final class Inbox: Sendable {
        let requests = Mutex<[Request]>([])
    }

    let port: UInt16
    private let socket: Socket
    private let inbox = Inbox()

    init(answer: String?) throws {
        socket = try Socket.listening(on: #require(SocketAddress.resolve(host: "127.0.0.1", port: 0).first))
        port = localPort(of: socket)
        Thread.detachNewThread { [socket, inbox] in
            // Accepted connections stay open until the receiver goes: a silent endpoint stays silent.
            var connections: [Socket] = []
            while let connection = try? socket.accept() {
                connections.append(connection)
                guard let request = Self.read(connection) else { continue }
                inbox.requests.withLock { $0.append(request) }
                if let answer { try? connection.send(Array(answer.utf8)) }
            }
        }
    }

    deinit {
        socket.shutdown()
    }

    /// The first request received, waiting up to `timeout` for one.
    func next(timeout: TimeInterval) -> Request? {
        var request: Request?
        _ = eventually(timeout: timeout) {
            request = inbox.requests.withLock { $0.first }
            return request != nil
        }
        return request
    }

    private static func read(_ connection: Socket) -> Request? {
        var bytes: [UInt8] = []
        while true {
            let text = String(decoding: bytes, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = String(text[..<end.upperBound])
                let length = head.lowercased().split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                let body = String(text[end.upperBound...])
                if body.utf8.count >= length { return Request(head: head, body: body) }
            }
            guard let chunk = try? connection.receive(upTo: 65536), !chunk.isEmpty else { return nil }
            bytes += chunk
        }
    }
}
