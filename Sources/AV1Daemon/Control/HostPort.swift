/// A `host:port` pair as a config key writes it: `127.0.0.1:9464`, `[::1]:9464`,
/// `localhost:9464`. A bare port (`9464`, `:9464`) means the IPv4 loopback address.
struct HostPort: Sendable, Equatable {
    let host: String
    let port: UInt16

    init?(_ text: String) {
        var host = Substring(text)
        var port: Substring?
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            // [IPv6]:port
            let rest = host[host.index(after: close)...]
            port = rest.first == ":" ? rest.dropFirst() : nil
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        } else if UInt16(host) != nil {
            (host, port) = ("", host)
        }
        guard let port = port.flatMap({ UInt16($0) }), port > 0 else { return nil }
        self.host = host.isEmpty ? "127.0.0.1" : String(host)
        self.port = port
    }
}
