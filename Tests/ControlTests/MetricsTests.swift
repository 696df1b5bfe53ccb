@testable import AV1Daemon
import Foundation
import Testing
import WorkerProtocol
import LinuxSupport
import Placement

@Suite("Metrics endpoint")
struct MetricsTests {
    @Test("GET /metrics is Prometheus text with HELP and TYPE for every family and stable labels")
    func scrape() throws {
        let port = try freePort()
        let server = MetricsServer(listen: "127.0.0.1:\(port)", control: FakeDaemon())
        try server.start()
        defer { server.stop() }

        let response = try httpGet(port: port, path: "/metrics")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let families = try PrometheusParser.parse(response.body)

        #expect(families["av1d_jobs"]?.type == "gauge")
        #expect(families["av1d_jobs"]?.samples == [
            #"av1d_jobs{state="success"}"#: 12, #"av1d_jobs{state="failed"}"#: 1, #"av1d_jobs{state="skipped"}"#: 3,
            #"av1d_jobs{state="running"}"#: 1, #"av1d_jobs{state="queued"}"#: 2,
        ])
        #expect(families["av1d_frames_encoded_total"]?.type == "counter")
        #expect(families["av1d_frames_encoded_total"]?.samples["av1d_frames_encoded_total"] == 123_456)
        #expect(families["av1d_encoded_bytes_total"]?.samples["av1d_encoded_bytes_total"] == Double(9 << 30))
        #expect(families["av1d_bytes_saved_total"]?.samples["av1d_bytes_saved_total"] == Double(40 << 30))
        #expect(families["av1d_queue_length"]?.samples["av1d_queue_length"] == 2)
        #expect(families["av1d_paused"]?.samples["av1d_paused"] == 0)
        #expect(families["av1d_job_fps"]?.samples[#"av1d_job_fps{slot="0"}"#] == 33.3)
        #expect(families["av1d_worker_rss_bytes"]?.samples[#"av1d_worker_rss_bytes{slot="0"}"#] == Double(512 << 20))
        #expect(families["av1d_job_cpus"]?.samples[#"av1d_job_cpus{slot="0"}"#] == 2)
        #expect(!response.body.contains("/media"), "no file path in any label")
    }

    @Test("a thermal pause and the CPU sensors are metrics with fixed labels")
    func thermal() throws {
        var snapshot = FakeDaemon().snapshot()
        snapshot.admissionPause = AdmissionPause(reason: "thermal", message: "CPU at 91.3°C")
        snapshot.temperatures = [TemperatureReading(sensor: "k10temp", label: "Tctl", celsius: 91.25)]
        let families = try PrometheusParser.parse(MetricsPage.render(snapshot))
        #expect(families["av1d_admission_paused"]?.samples == [
            #"av1d_admission_paused{reason="user"}"#: 0, #"av1d_admission_paused{reason="storage"}"#: 0,
            #"av1d_admission_paused{reason="thermal"}"#: 1,
        ])
        #expect(families["av1d_cpu_temperature_celsius"]?.samples[#"av1d_cpu_temperature_celsius{sensor="k10temp",label="Tctl"}"#]
            == 91.25)
    }

    @Test("a storage pause (temp or job folder cannot take files) is its own reason")
    func storage() throws {
        var snapshot = FakeDaemon().snapshot()
        snapshot.admissionPause = AdmissionPause(reason: "storage", message: "temp_output_dir /x cannot take files")
        let families = try PrometheusParser.parse(MetricsPage.render(snapshot))
        #expect(families["av1d_admission_paused"]?.samples == [
            #"av1d_admission_paused{reason="user"}"#: 0, #"av1d_admission_paused{reason="storage"}"#: 1,
            #"av1d_admission_paused{reason="thermal"}"#: 0,
        ])
    }

    @Test("other paths are 404")
    func notFound() throws {
        let port = try freePort()
        let server = MetricsServer(listen: "127.0.0.1:\(port)", control: FakeDaemon())
        try server.start()
        defer { server.stop() }
        #expect(try httpGet(port: port, path: "/").status == 404)
        #expect(try httpGet(port: port, path: "/metricsx").status == 404)
    }

    @Test("non-loopback addresses are refused unless allowed; bad ones are explained",
          arguments: ["0.0.0.0:9464", "localhost", "127.0.0.1:99999", "[::1]"])
    func refusedAddresses(listen: String) {
        let server = MetricsServer(listen: listen, control: FakeDaemon())
        #expect(throws: EndpointError.self) { try server.start() }
    }

    @Test("host:port forms", arguments: [
        ("127.0.0.1:9464", "127.0.0.1", 9464), ("[::1]:9100", "::1", 9100), (":9464", "127.0.0.1", 9464),
        ("9464", "127.0.0.1", 9464), ("localhost:80", "localhost", 80),
    ] as [(String, String, UInt16)])
    func hostPort(text: String, host: String, port: UInt16) throws {
        let parsed = try #require(HostPort(text))
        #expect(parsed.host == host)
        #expect(parsed.port == port)
    }
}

/// A port nothing listens on now: bind port 0, read what the kernel chose, let it go.
func freePort() throws -> UInt16 {
    try localPort(of: Socket.listening(on: #require(SocketAddress.resolve(host: "127.0.0.1", port: 0).first)))
}

/// The port an IPv4 socket is bound to.
func localPort(of socket: Socket) -> UInt16 {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket.fd, $0, &length) }
    }
    return UInt16(bigEndian: address.sin_port)
}

/// A GET with a plain socket: the status, headers (lowercased names) and body.
func httpGet(port: UInt16, path: String) throws -> (status: Int, headers: [String: String], body: String) {
    let socket = try Socket.connected(to: #require(SocketAddress.resolve(host: "127.0.0.1", port: port).first), timeout: 5)
    try socket.send(Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\nAccept: text/plain\r\n\r\n".utf8))
    var response: [UInt8] = []
    while case let chunk = try socket.receive(upTo: 65536), !chunk.isEmpty { response += chunk }
    let text = String(decoding: response, as: UTF8.self)
    let parts = text.components(separatedBy: "\r\n\r\n")
    let head = parts[0].components(separatedBy: "\r\n")
    let status = try #require(Int(head[0].split(separator: " ")[1]))
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
        let pair = line.split(separator: ":", maxSplits: 1)
        headers[pair[0].lowercased()] = pair[1].trimmingCharacters(in: .whitespaces)
    }
    #expect(headers["content-length"] == String(parts.dropFirst().joined(separator: "\r\n\r\n").utf8.count))
    return (status, headers, parts.dropFirst().joined(separator: "\r\n\r\n"))
}

/// Reads Prometheus text format 0.0.4 strictly enough to catch a malformed page: each family's
/// HELP and TYPE come once, before its samples; every sample belongs to a declared family.
enum PrometheusParser {
    struct Family: Equatable {
        var help: String?
        var type: String?
        /// Sample values by series (`name{label="value"}`).
        var samples: [String: Double] = [:]
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ text: String) throws -> [String: Family] {
        var families: [String: Family] = [:]
        let name = #/[a-zA-Z_:][a-zA-Z0-9_:]*/#
        let sample = #/(?<series>(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*)\})?) (?<value>\S+)/#
        guard text.hasSuffix("\n") else { throw Malformed(description: "no final newline") }
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let fields = line.split(separator: " ", maxSplits: 3)
                guard fields.count == 4, let family = try name.wholeMatch(in: fields[2]) else {
                    throw Malformed(description: "bad comment: \(line)")
                }
                let key = String(family.output)
                var entry = families[key] ?? Family()
                guard entry.samples.isEmpty else { throw Malformed(description: "\(fields[1]) after samples: \(line)") }
                if fields[1] == "HELP" {
                    guard entry.help == nil else { throw Malformed(description: "second HELP: \(line)") }
                    entry.help = String(fields[3])
                } else {
                    guard entry.type == nil, ["counter", "gauge", "histogram", "summary", "untyped"].contains(fields[3]) else {
                        throw Malformed(description: "bad TYPE: \(line)")
                    }
                    entry.type = String(fields[3])
                }
                families[key] = entry
            } else {
                guard let match = try sample.wholeMatch(in: line), let value = Double(match.output.value) else {
                    throw Malformed(description: "bad sample: \(line)")
                }
                let key = String(match.output.name)
                guard families[key]?.help != nil, families[key]?.type != nil else {
                    throw Malformed(description: "sample before HELP and TYPE: \(line)")
                }
                if families[key]?.type == "counter", !key.hasSuffix("_total") { throw Malformed(description: "counter without _total: \(key)") }
                families[key]?.samples[String(match.output.series)] = value
            }
        }
        return families
    }
}
